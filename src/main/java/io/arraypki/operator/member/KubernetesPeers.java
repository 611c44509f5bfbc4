package io.arraypki.operator.member;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The peers of a member in a cluster: every 2 s, the Running pods with an IP that the selector
 * finds in the namespace, but this member's own pod. A pod names its node in the label
 * {@code arraypki.io/member} and the DNS name its certificate carries in the annotation
 * {@code arraypki.io/peer-dns-name}. A failed list keeps the last peers known (an API server
 * restart must not look like an array without members).
 */
final class KubernetesPeers implements Supplier<List<Peer>>, AutoCloseable {
  static final String MEMBER_LABEL = "arraypki.io/member";
  static final String DNS_ANNOTATION = "arraypki.io/peer-dns-name";

  private final Settings settings;
  private final Consumer<String> log;
  private volatile List<Peer> peers = List.of();
  private KubernetesClient client;
  private String lastProblem;

  KubernetesPeers(Settings settings, Consumer<String> log) {
    this.settings = settings;
    this.log = log;
  }

  /** Lists now, then every 2 s on {@code scheduler}; the client uses the in-cluster config. */
  void start(ScheduledExecutorService scheduler) {
    client = new KubernetesClientBuilder().build();
    scheduler.scheduleWithFixedDelay(this::refresh, 0, 2, TimeUnit.SECONDS);
  }

  @Override
  public List<Peer> get() {
    return peers;
  }

  private void refresh() {
    try {
      List<Pod> pods = client.pods().inNamespace(settings.namespace()).withLabelSelector(settings.peerSelector())
          .list().getItems();
      List<String> skipped = new ArrayList<>();
      List<Peer> found = peersOf(pods, settings.memberName(), settings.listenPort(), skipped);
      if (!found.equals(peers)) {
        log.accept("peers now " + (found.isEmpty() ? "none" : found)
            + (skipped.isEmpty() ? "" : "; skipped " + skipped));
      }
      peers = found;
      lastProblem = null;
    } catch (RuntimeException e) {
      String problem = "cannot list the peer pods (keeping the " + peers.size() + " known): " + e;
      if (!problem.equals(lastProblem)) {
        log.accept(problem);
      }
      lastProblem = problem;
    }
  }

  /** The peers among {@code pods}; pods left out for a missing label or annotation go to {@code skipped}. */
  static List<Peer> peersOf(List<Pod> pods, String self, int port, List<String> skipped) {
    List<Peer> found = new ArrayList<>();
    for (Pod pod : pods) {
      Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
      Map<String, String> annotations =
          pod.getMetadata().getAnnotations() == null ? Map.of() : pod.getMetadata().getAnnotations();
      String node = labels.get(MEMBER_LABEL);
      String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
      boolean running = pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase());
      if (self.equals(node) || !running || ip == null || ip.isBlank()) {
        continue;
      }
      String dns = annotations.get(DNS_ANNOTATION);
      if (node == null || node.isBlank() || dns == null || dns.isBlank()) {
        skipped.add(pod.getMetadata().getName() + " (no " + (node == null || node.isBlank() ? MEMBER_LABEL + " label"
            : DNS_ANNOTATION + " annotation") + ")");
        continue;
      }
      found.add(new Peer(node, dns, ip, port));
    }
    found.sort(java.util.Comparator.comparing(Peer::name));
    return List.copyOf(found);
  }

  @Override
  public void close() {
    if (client != null) {
      client.close();
    }
  }
}
