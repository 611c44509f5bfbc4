package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.api.RotationSpec;
import io.arraypki.operator.api.TrustState;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.k8s.TrustLeases;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator's side of confirmed propagation on the real API server, the member played by the
 * test under the member's own ServiceAccount (impersonated, so the API server's RBAC decides):
 * the Lease each node with a ServiceAccount gets, what the node's status makes of a
 * confirmation, and a rotation that waits for it. The member pods' test shows the same with the
 * member library and a kubelet.
 */
class TrustLeaseTest {
  @RegisterExtension
  static AbstractOperatorExtension operator = OperatorUnderTest.start();

  private final Scenario scenario = new Scenario(operator);

  @Test
  void aNodeWithAServiceAccountGetsATrustLeaseOnlyItsAccountMayWriteAndItsStatusFollowsTheConfirmations() {
    List<String> nodes = confirmingArray("lease", 2, "10m");
    Lease lease = lease("lease-1");
    assertThat(lease.getMetadata().getLabels()).containsEntry("arraypki.io/node", "lease-1")
        .containsEntry("arraypki.io/array", "lease").containsEntry("arraypki.io/component", "trust-confirmation");
    assertThat(lease.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> assertThat(o.getName()).isEqualTo("lease-1"));
    Role role = scenario.client().rbac().roles().inNamespace(scenario.ns()).withName("lease-1-arraypki-reader").get();
    assertThat(role.getRules()).anySatisfy(r -> {
      assertThat(r.getResources()).containsExactly("leases");
      assertThat(r.getResourceNames()).containsExactly("lease-1-trust");
      assertThat(r.getVerbs()).containsExactly("get", "update", "patch");
    });
    Waits.converge().until(() -> trust("lease-1") != null && trust("lease-1").state == TrustState.Unconfirmed);

    confirmWhatTheSecretHolds("lease-1");
    Waits.converge().untilAsserted(() -> {
      assertThat(trust("lease-1").state).isEqualTo(TrustState.Current);
      assertThat(trust("lease-1").confirmedBy).isEqualTo("pod-of-lease-1");
    });
    asMember("lease-1", "lease-1", "sha256:" + "00".repeat(32), "1");
    Waits.converge().until(() -> trust("lease-1").state == TrustState.Loading && trust("lease-1").behindSince != null);

    // another member's Lease is refused, whoever asks for it
    org.junit.jupiter.api.Assertions.assertThrows(io.fabric8.kubernetes.client.KubernetesClientException.class,
        () -> asMember("lease-1", "lease-0", "sha256:" + "00".repeat(32), "1"));

    // no ServiceAccount, no Lease
    scenario.patch(ArrayNode.class, "lease-1", "{\"spec\":{\"serviceAccountName\":null}}");
    Waits.converge().until(() -> scenario.client().resources(Lease.class).inNamespace(scenario.ns())
        .withName("lease-1-trust").get() == null);
    assertThat(nodes).hasSize(2);
  }

  @Test
  void aRotationWhoseMembersConfirmEndsOnTheirConfirmationsLongBeforeItsTimers() {
    confirmingArray("gate", 2, "10m");
    confirmWhatTheSecretHolds("gate-0");
    confirmWhatTheSecretHolds("gate-1");
    Instant began = Instant.now();
    scenario.patch(ClusterArray.class, "gate", "{\"metadata\":{\"annotations\":{\"arraypki.io/renew-ca\":\"t1\"}}}");
    Waits.converge().untilAsserted(() -> {
      var rotation = scenario.status("gate").rotation;
      assertThat(rotation.phase).isEqualTo(RotationPhase.PublishingTrust);
      assertThat(rotation.waitingFor).containsExactly("gate-0", "gate-1");
      assertThat(rotation.waitingForCount).isEqualTo(2);
    });
    // the members load the new bundle one after the other
    Waits.converge().until(() -> bundleHasTwoCas("gate-0") && bundleHasTwoCas("gate-1"));
    confirmWhatTheSecretHolds("gate-0");
    Waits.converge().until(() -> List.of("gate-1").equals(scenario.status("gate").rotation.waitingFor));
    // a Lease labelled for gate-1 but not the one made for it confirms nothing, whatever it says
    var secret = Arrays.secret(scenario.client(), scenario.ns(), "gate-1-peer-tls");
    scenario.client().resource(new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder().withNewMetadata()
        .withName("gate-impostor").withNamespace(scenario.ns())
        .addToLabels("app.kubernetes.io/managed-by", "arraypki-operator").addToLabels("arraypki.io/array", "gate")
        .addToLabels("arraypki.io/node", "gate-1").addToLabels("arraypki.io/component", "trust-confirmation")
        .addToAnnotations(TrustLeases.TRUSTED_CAS, digests(secret))
        .addToAnnotations(TrustLeases.LEAF_SERIALS, serial(secret))
        .endMetadata().build()).create();
    io.arraypki.operator.support.Quiescence.forceArrayReconcile(scenario, "gate");
    assertThat(scenario.status("gate").rotation.phase).isEqualTo(RotationPhase.PublishingTrust);
    assertThat(scenario.status("gate").rotation.waitingFor).containsExactly("gate-1");
    confirmWhatTheSecretHolds("gate-1");
    // then the new CA signs, and the old one goes once both serve its certificates
    Waits.converge().until(() -> scenario.status("gate").rotation.phase == RotationPhase.Retiring);
    Waits.converge().until(() -> Arrays.secret(scenario.client(), scenario.ns(), "gate-0-peer-tls").getMetadata()
        .getAnnotations().get("arraypki.io/signed-by-generation").equals("2"));
    assertThat(scenario.status("gate").trustedCAs).hasSize(2);
    confirmWhatTheSecretHolds("gate-0");
    confirmWhatTheSecretHolds("gate-1");
    Waits.converge().untilAsserted(() -> {
      var status = scenario.status("gate");
      assertThat(status.rotation.phase).isEqualTo(RotationPhase.Idle);
      assertThat(status.trustedCAs).extracting(t -> t.generation).containsExactly(2L);
    });
    assertThat(Duration.between(began, Instant.now())).as("the 10m delay, the 1h overlap and the 9m confirmation"
        + " timeout did not decide").isLessThan(Duration.ofMinutes(9));
    assertThat(scenario.warnings("gate", "ConfirmationTimedOut")).as("no confirmation timed out").isEmpty();
  }

  private List<String> confirmingArray(String array, int size, String delay) {
    ClusterArray a = Arrays.array(scenario.ns(), array, array + "-0");
    a.getSpec().rotation = new RotationSpec();
    a.getSpec().rotation.trustPropagationDelay = delay;
    a.getSpec().rotation.overlap = "1h";
    // nor the confirmation timeout (3m by default): only the confirmations may decide, however
    // slowly a busy machine lets the test write them
    a.getSpec().rotation.confirmationTimeout = "9m";
    scenario.client().resource(a).create();
    List<String> nodes = new java.util.ArrayList<>();
    for (int i = 0; i < size; i++) {
      String name = array + "-" + i;
      scenario.client().resource(new ServiceAccountBuilder().withNewMetadata().withName(name)
          .withNamespace(scenario.ns()).endMetadata().build()).create();
      ArrayNode node = Arrays.node(scenario.ns(), name, array);
      node.getSpec().serviceAccountName = name;
      scenario.client().resource(node).create();
      nodes.add(name);
    }
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), array, size);
    Waits.converge().until(() -> nodes.stream().allMatch(n -> scenario.client().resources(Lease.class)
        .inNamespace(scenario.ns()).withName(n + "-trust").get() != null));
    return nodes;
  }

  private Lease lease(String node) {
    return scenario.client().resources(Lease.class).inNamespace(scenario.ns()).withName(node + "-trust").get();
  }

  private io.arraypki.operator.api.TrustConfirmationStatus trust(String node) {
    var status = Arrays.get(scenario.client(), scenario.ns(), node).getStatus();
    return status == null ? null : status.trust;
  }

  private boolean bundleHasTwoCas(String node) {
    String bundle = SecretData.text(Arrays.secret(scenario.client(), scenario.ns(), node + "-peer-tls"), "ca.crt")
        .orElse("");
    return Pem.certificates(bundle, "ca.crt").size() == 2;
  }

  /** What a member library would write after loading the node's Secret as it is now. */
  private void confirmWhatTheSecretHolds(String node) {
    var secret = Arrays.secret(scenario.client(), scenario.ns(), node + "-peer-tls");
    asMember(node, node, digests(secret), serial(secret));
  }

  private static String digests(io.fabric8.kubernetes.api.model.Secret secret) {
    return Pem.certificates(SecretData.text(secret, "ca.crt").orElseThrow(), "ca.crt").stream()
        .map(Fingerprints::digest).sorted().collect(Collectors.joining(","));
  }

  private static String serial(io.fabric8.kubernetes.api.model.Secret secret) {
    X509Certificate leaf = Pem.certificate(SecretData.text(secret, "tls.crt").orElseThrow(), "tls.crt");
    return leaf.getSerialNumber().toString(16);
  }

  /** A merge patch of {@code leaseOf}'s Lease under {@code node}'s ServiceAccount. */
  private void asMember(String node, String leaseOf, String cas, String serials) {
    String account = "system:serviceaccount:" + scenario.ns() + ":" + node;
    try (KubernetesClient member = new KubernetesClientBuilder().withConfig(
        new ConfigBuilder(scenario.client().getConfiguration()).withImpersonateUsername(account)
            .withImpersonateGroups("system:serviceaccounts", "system:authenticated").build()).build()) {
      member.resources(Lease.class).inNamespace(scenario.ns()).withName(leaseOf + "-trust")
          .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\""
              + TrustLeases.TRUSTED_CAS + "\":\"" + cas + "\",\"" + TrustLeases.LEAF_SERIALS + "\":\"" + serials
              + "\",\"" + TrustLeases.CONFIRMED_AT + "\":\"" + Instant.now() + "\"}},\"spec\":{\"holderIdentity\":"
              + "\"pod-of-" + node + "\"}}");
    }
  }
}
