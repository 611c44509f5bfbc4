package io.arraypki.operator.member;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which pods a member calls (the listing itself is Fabric8's). */
class MemberKubernetesPeersTest {
  @Test
  void peersAreTheOtherRunningPodsWithAnIpNamedByTheirLabelAndAnnotation() {
    List<String> skipped = new ArrayList<>();
    List<Peer> peers = KubernetesPeers.peersOf(List.of(
        pod("sgd-2", "node-c", "node-c.sgd.example.com", "Running", "10.88.0.7"),
        pod("sgd-0", "node-a", "node-a.sgd.example.com", "Running", "10.88.0.5"),
        pod("sgd-1", "node-b", "node-b.sgd.example.com", "Running", "10.88.0.6"),
        pod("sgd-3", "node-d", "node-d.sgd.example.com", "Pending", null),
        pod("sgd-4", "node-e", "node-e.sgd.example.com", "Running", null),
        pod("sgd-5", "node-f", "node-f.sgd.example.com", "Succeeded", "10.88.0.9"),
        pod("sgd-6", "node-g", null, "Running", "10.88.0.10"),
        pod("sgd-7", null, "node-h.sgd.example.com", "Running", "10.88.0.11")), "node-a", 7443, skipped);

    assertThat(peers).containsExactly(new Peer("node-b", "node-b.sgd.example.com", "10.88.0.6", 7443),
        new Peer("node-c", "node-c.sgd.example.com", "10.88.0.7", 7443));
    assertThat(skipped).containsExactly("sgd-6 (no arraypki.io/peer-dns-name annotation)",
        "sgd-7 (no arraypki.io/member label)");
  }

  private static Pod pod(String name, String member, String dns, String phase, String ip) {
    PodBuilder b = new PodBuilder().withNewMetadata().withName(name).addToLabels("app", "sgd").endMetadata()
        .withNewStatus().withPhase(phase).withPodIP(ip).endStatus();
    if (member != null) {
      b.editMetadata().addToLabels(KubernetesPeers.MEMBER_LABEL, member).endMetadata();
    }
    if (dns != null) {
      b.editMetadata().addToAnnotations(KubernetesPeers.DNS_ANNOTATION, dns).endMetadata();
    }
    return b.build();
  }
}
