package io.arraypki.operator.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.arraypki.operator.api.ArrayNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Real array members: one pod per Node on the local cluster's worker node, running the member
 * daemon ({@code io.arraypki.operator.member.MemberDaemon}, image built by {@code e2e/images.sh})
 * with the node's {@code <node>-peer-tls} Secret and the array's {@code <array>-trust} ConfigMap
 * mounted as volumes, as a user would mount them. Each daemon calls every other member with
 * mutual TLS and hostname verification, every second, and counts every failure;
 * {@link #totals()} reads the counts over HTTP from each pod.
 *
 * <p>What a pod has loaded is read where the kubelet wrote it (the pod's volume directory under
 * the node's kubelet root, on this machine), so a test can tell when a write reached a pod.
 */
public final class MemberPods {
  public static final String MEMBER_LABEL = "arraypki.io/member";
  public static final String ARRAY_LABEL = "arraypki.io/member-of";
  private static final String ACCOUNT = "array-member";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

  private final KubernetesClient client;
  private final String namespace;
  private final String array;
  private final Map<String, Pod> pods = new LinkedHashMap<>();
  /** How each member runs (a Java daemon, or the non-Java member with the confirm-trust sidecar). */
  private final Map<String, Kind> kinds = new LinkedHashMap<>();

  /**
   * How a member pod runs. {@code JAVA}: the member daemon under the shared account, confirming
   * nothing (the timer decides for it). {@code JAVA_CONFIRMING}: the member daemon under its
   * node's ServiceAccount, confirming on its trust Lease through the member library.
   * {@code PLAIN_WITH_SIDECAR}: a member not written in Java (e2e/images/plainmember, a Go TLS
   * server that re-reads its files on every handshake) beside the operator image's confirm-trust
   * sidecar, which reports what the pod's volumes hold.
   */
  public enum Kind { JAVA, JAVA_CONFIRMING, PLAIN_WITH_SIDECAR }

  private MemberPods(KubernetesClient client, String namespace, String array) {
    this.client = client;
    this.namespace = namespace;
    this.array = array;
  }

  /** The image of the member daemon, as {@code e2e/images.sh} names it. */
  public static String image() {
    return Commands.run("bash", Commands.projectDir().resolve("e2e/images.sh").toString(), "ref", "member")
        .orFail("e2e/images.sh ref member").output().trim();
  }

  /** Starts one member pod per node (the nodes' Secrets exist: their array is Ready) and waits for all. */
  public static MemberPods start(KubernetesClient client, String namespace, String array, List<String> nodes) {
    Map<String, Kind> kinds = new LinkedHashMap<>();
    nodes.forEach(n -> kinds.put(n, Kind.JAVA));
    return start(client, namespace, array, kinds);
  }

  /**
   * Starts a member pod of the given kind per node; a confirming pod runs under its node's
   * {@code serviceAccountName} (which the test has created), as a user's would.
   */
  public static MemberPods start(KubernetesClient client, String namespace, String array, Map<String, Kind> kinds) {
    MemberPods members = new MemberPods(client, namespace, array);
    members.kinds.putAll(kinds);
    grantPeerDiscovery(client, namespace, array, members.accounts());
    for (String node : kinds.keySet()) {
      members.create(node);
    }
    members.awaitReady(List.copyOf(kinds.keySet()));
    return members;
  }

  private List<String> accounts() {
    List<String> accounts = new ArrayList<>();
    accounts.add(ACCOUNT);
    for (String node : kinds.keySet()) {
      if (kinds.get(node) != Kind.JAVA) {
        accounts.add(Arrays.get(client, namespace, node).getSpec().serviceAccountName);
      }
    }
    return accounts;
  }

  private void create(String node) {
    ArrayNode spec = Arrays.get(client, namespace, node);
    Kind kind = kinds.get(node);
    Pod pod = kind == Kind.PLAIN_WITH_SIDECAR
        ? plainPod(namespace, array, node, spec.getSpec().peerDNSName, spec.getSpec().serviceAccountName)
        : pod(namespace, array, node, spec.getSpec().peerDNSName, image(),
            kind == Kind.JAVA_CONFIRMING ? spec.getSpec().serviceAccountName : null);
    pods.put(node, client.resource(pod).create());
  }

  /** Stops a member's pod (deleted, gone), as a crashed or drained member would be. */
  public void stop(String node) {
    client.pods().inNamespace(namespace).withName(podName(node)).withGracePeriod(0).delete();
    Waits.upTo(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1))
        .until(() -> client.pods().inNamespace(namespace).withName(podName(node)).get() == null);
  }

  /** Starts a stopped member's pod again and waits for it to be Ready. */
  public void restart(String node) {
    create(node);
    awaitReady(List.of(node));
  }

  private void awaitReady(List<String> nodes) {
    MemberPods members = this;
    Waits.upTo(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      for (String node : nodes) {
        Pod pod = client.pods().inNamespace(namespace).withName(podName(node)).get();
        org.assertj.core.api.Assertions.assertThat(pod.getStatus().getConditions())
            .as("pod of %s: %s", node, pod.getStatus())
            .anySatisfy(c -> {
              org.assertj.core.api.Assertions.assertThat(c.getType()).isEqualTo("Ready");
              org.assertj.core.api.Assertions.assertThat(c.getStatus()).isEqualTo("True");
            });
        members.pods.put(node, pod);
      }
    });
  }

  public static String podName(String node) {
    return "member-" + node;
  }

  /** The member pods find each other through the API (no cluster DNS here): list pods, nothing else. */
  private static void grantPeerDiscovery(KubernetesClient client, String namespace, String array,
      List<String> accounts) {
    client.resource(new ServiceAccountBuilder().withNewMetadata().withName(ACCOUNT).withNamespace(namespace)
        .endMetadata().build()).createOr(r -> r.update());
    client.resource(new RoleBuilder().withNewMetadata().withName(ACCOUNT).withNamespace(namespace).endMetadata()
        .withRules(new PolicyRuleBuilder().withApiGroups("").withResources("pods").withVerbs("list").build())
        .build()).createOr(r -> r.update());
    // one binding per array: the arrays of a test class share its namespace and run at once
    client.resource(new RoleBindingBuilder().withNewMetadata().withName(ACCOUNT + "-" + array).withNamespace(namespace)
        .endMetadata()
        .withNewRoleRef("rbac.authorization.k8s.io", "Role", ACCOUNT)
        .withSubjects(accounts.stream().map(a -> new io.fabric8.kubernetes.api.model.rbac.SubjectBuilder()
            .withKind("ServiceAccount").withName(a).withNamespace(namespace).build()).toList())
        .build()).createOr(r -> r.update());
  }

  /** What the member daemons look for: the member and array labels and the peer's DNS name. */
  private static io.fabric8.kubernetes.api.model.ObjectMeta metadata(String namespace, String array, String node,
      String peerDnsName) {
    return new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(podName(node)).withNamespace(namespace)
        .addToLabels(MEMBER_LABEL, node).addToLabels(ARRAY_LABEL, array)
        .addToAnnotations("arraypki.io/peer-dns-name", peerDnsName).build();
  }

  /** The node's Secret, the array's trust ConfigMap, and a /tmp, as a user mounts them. */
  private static List<io.fabric8.kubernetes.api.model.Volume> volumes(String node, String array) {
    return List.of(
        new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("tls").withNewSecret()
            .withSecretName(node + "-peer-tls").endSecret().build(),
        new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("trust").withNewConfigMap()
            .withName(array + "-trust").endConfigMap().build(),
        new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build());
  }

  private static List<io.fabric8.kubernetes.api.model.VolumeMount> mounts(boolean tmp) {
    List<io.fabric8.kubernetes.api.model.VolumeMount> mounts = new ArrayList<>(List.of(
        new io.fabric8.kubernetes.api.model.VolumeMountBuilder().withName("tls").withMountPath("/etc/array/tls")
            .withReadOnly(true).build(),
        new io.fabric8.kubernetes.api.model.VolumeMountBuilder().withName("trust").withMountPath("/etc/array/trust")
            .withReadOnly(true).build()));
    if (tmp) {
      mounts.add(new io.fabric8.kubernetes.api.model.VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build());
    }
    return mounts;
  }

  private static io.fabric8.kubernetes.api.model.PodSecurityContext nonRoot() {
    return new io.fabric8.kubernetes.api.model.PodSecurityContextBuilder().withRunAsNonRoot(true)
        .withRunAsUser(65532L).withRunAsGroup(65532L).withNewSeccompProfile().withType("RuntimeDefault")
        .endSeccompProfile().build();
  }

  private static Pod pod(String namespace, String array, String node, String peerDnsName, String image,
      String confirmingAccount) {
    Pod pod = new PodBuilder()
        .withMetadata(metadata(namespace, array, node, peerDnsName))
        .withNewSpec()
        .withServiceAccountName(ACCOUNT)
        .withTerminationGracePeriodSeconds(2L)
        .withSecurityContext(nonRoot())
        .addNewContainer().withName("member").withImage(image).withImagePullPolicy("Never")
        .addNewEnv().withName("MEMBER_NAME").withValue(node).endEnv()
        .addNewEnv().withName("PEER_SELECTOR").withValue(ARRAY_LABEL + "=" + array).endEnv()
        .addNewEnv().withName("POD_NAMESPACE").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.namespace")
        .endFieldRef().endValueFrom().endEnv()
        .addNewEnv().withName("CALL_INTERVAL_MS").withValue("1000").endEnv()
        // a small daemon: the client compiler and the serial collector keep six of them light on two cores
        .addNewEnv().withName("JAVA_TOOL_OPTIONS").withValue("-XX:TieredStopAtLevel=1 -XX:+UseSerialGC").endEnv()
        .addNewPort().withName("mtls").withContainerPort(7443).endPort()
        .addNewPort().withName("stats").withContainerPort(8080).endPort()
        .withNewReadinessProbe().withNewHttpGet().withPath("/healthz").withNewPort(8080).endHttpGet()
        .withPeriodSeconds(2).endReadinessProbe()
        .withNewResources().addToLimits("memory", new Quantity("192Mi")).addToRequests("cpu", new Quantity("50m"))
        .endResources()
        .withNewSecurityContext().withReadOnlyRootFilesystem(true).withAllowPrivilegeEscalation(false)
        .withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
        .withVolumeMounts(mounts(true))
        .endContainer()
        .withVolumes(volumes(node, array))
        .endSpec().build();
    if (confirmingAccount != null) {
      pod.getSpec().setServiceAccountName(confirmingAccount);
      pod.getSpec().getContainers().get(0).getEnv().addAll(confirmationEnv(node));
    } else {
      // the shared account may write no trust Lease: this member is one the timers decide for
      pod.getSpec().getContainers().get(0).getEnv().add(new io.fabric8.kubernetes.api.model.EnvVarBuilder()
          .withName("CONFIRM_TRUST").withValue("false").build());
    }
    return pod;
  }

  /** What the member library and the sidecar need to confirm: the Lease and the pod's name. */
  private static List<io.fabric8.kubernetes.api.model.EnvVar> confirmationEnv(String node) {
    return List.of(
        new io.fabric8.kubernetes.api.model.EnvVarBuilder().withName("TRUST_LEASE").withValue(node + "-trust").build(),
        new io.fabric8.kubernetes.api.model.EnvVarBuilder().withName("POD_NAME").withNewValueFrom().withNewFieldRef()
            .withFieldPath("metadata.name").endFieldRef().endValueFrom().build(),
        new io.fabric8.kubernetes.api.model.EnvVarBuilder().withName("POD_NAMESPACE").withNewValueFrom()
            .withNewFieldRef().withFieldPath("metadata.namespace").endFieldRef().endValueFrom().build());
  }

  /** The images of the non-Java member and of the operator (whose confirm-trust mode is the sidecar). */
  public static String image(String which) {
    return Commands.run("bash", Commands.projectDir().resolve("e2e/images.sh").toString(), "ref", which)
        .orFail("e2e/images.sh ref " + which).output().trim();
  }

  /**
   * A member not written in Java and the confirm-trust sidecar beside it, both mounting the
   * node's Secret and the trust ConfigMap read-only, as a user would add the sidecar.
   */
  private static Pod plainPod(String namespace, String array, String node, String peerDnsName, String account) {
    var restricted = new io.fabric8.kubernetes.api.model.SecurityContextBuilder().withReadOnlyRootFilesystem(true)
        .withAllowPrivilegeEscalation(false).withNewCapabilities().withDrop("ALL").endCapabilities().build();
    return new PodBuilder()
        .withMetadata(metadata(namespace, array, node, peerDnsName))
        .withNewSpec()
        .withServiceAccountName(account)
        .withTerminationGracePeriodSeconds(2L)
        .withSecurityContext(nonRoot())
        .addNewContainer().withName("member").withImage(image("plain-member")).withImagePullPolicy("Never")
        .addNewEnv().withName("MEMBER_NAME").withValue(node).endEnv()
        .addNewPort().withName("mtls").withContainerPort(7443).endPort()
        .addNewPort().withName("stats").withContainerPort(8080).endPort()
        .withNewReadinessProbe().withNewHttpGet().withPath("/healthz").withNewPort(8080).endHttpGet()
        .withPeriodSeconds(2).endReadinessProbe()
        // a CPU request as the Java members have: a container without one gets the kernel's
        // minimum weight (cpu.shares 2 against their 51), and on a busy node it was starved for
        // seconds at a time, so the Java members' handshakes with it timed out
        .withNewResources().addToLimits("memory", new Quantity("32Mi")).addToRequests("cpu", new Quantity("50m"))
        .endResources()
        .withSecurityContext(restricted)
        .withVolumeMounts(mounts(false))
        .endContainer()
        .addNewContainer().withName("confirm-trust").withImage(image("operator")).withImagePullPolicy("Never")
        .withArgs("confirm-trust")
        .addAllToEnv(confirmationEnv(node))
        .addNewEnv().withName("JAVA_TOOL_OPTIONS").withValue("-XX:TieredStopAtLevel=1 -XX:+UseSerialGC").endEnv()
        .withNewResources().addToLimits("memory", new Quantity("128Mi")).addToRequests("cpu", new Quantity("20m"))
        .endResources()
        .withSecurityContext(restricted)
        .withVolumeMounts(mounts(true))
        .endContainer()
        .withVolumes(volumes(node, array))
        .endSpec().build();
  }

  /** The nodes whose pods run the Java member daemon (they call every other member). */
  public List<String> callers() {
    return kinds.entrySet().stream().filter(e -> e.getValue() != Kind.PLAIN_WITH_SIDECAR).map(Map.Entry::getKey)
        .toList();
  }

  /** The address of a member's pod. */
  public String podIp(String node) {
    return pods.get(node).getStatus().getPodIP();
  }

  public List<String> nodes() {
    return new ArrayList<>(pods.keySet());
  }

  public String array() {
    return array;
  }

  /** The member daemon's /stats of {@code node}'s pod, over HTTP from this machine to the pod's address. */
  public JsonNode stats(String node) {
    String ip = pods.get(node).getStatus().getPodIP();
    try {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + ip + ":8080/stats"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("stats of " + node + ": HTTP " + response.statusCode());
      }
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new IllegalStateException("stats of " + node + " at " + ip, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Calls attempted and failed by all members so far, the latest failures' messages as their
   * callers saw them, and the latest inbound handshakes that failed as their servers saw them
   * (a caller may see only a broken pipe where its peer saw the reason).
   */
  public record Totals(long attempts, long successes, long failures, List<String> recentFailures,
      List<String> recentInboundFailures) {
    public String text() {
      return attempts + " calls, " + failures + " failed";
    }

    public Totals minus(Totals before) {
      return new Totals(attempts - before.attempts, successes - before.successes, failures - before.failures,
          recentFailures, recentInboundFailures);
    }

    /** Both sides of the latest failures, a line each, for an assertion's message. */
    public String failuresSeenByBothEnds() {
      return "as callers saw them:\n" + String.join("\n", recentFailures)
          + "\ninbound handshakes that failed, as servers saw them:\n" + String.join("\n", recentInboundFailures);
    }
  }

  public Totals totals() {
    long attempts = 0;
    long successes = 0;
    long failures = 0;
    List<String> recent = new ArrayList<>();
    List<String> inbound = new ArrayList<>();
    for (String node : callers()) {
      JsonNode stats = stats(node);
      attempts += stats.path("attempts").asLong();
      successes += stats.path("successes").asLong();
      failures += stats.path("failures").asLong();
      stats.path("recentFailures").forEach(f -> recent.add(node + ": " + f));
      stats.path("recentInboundFailures").forEach(f -> inbound.add(node + ": " + f));
    }
    return new Totals(attempts, successes, failures, recent, inbound);
  }

  /** True when every member has called every other one successfully at least once. */
  public boolean allPeersReached() {
    for (String node : callers()) {
      JsonNode peers = stats(node).path("peers");
      for (String other : pods.keySet()) {
        if (!other.equals(node) && peers.path(other).path("successes").asLong() == 0) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * A file of a pod's volume as the kubelet delivered it ({@code volume} "tls" is the Secret,
   * "trust" the ConfigMap), empty when it is not there (yet).
   */
  public Optional<String> mounted(String node, String volume, String file) {
    String uid = pods.get(node).getMetadata().getUid();
    String kind = volume.equals("trust") ? "kubernetes.io~configmap" : "kubernetes.io~secret";
    Path path = LocalControlPlane.kubeconfig().getParent()
        .resolve("node/kubelet/pods").resolve(uid).resolve("volumes").resolve(kind).resolve(volume).resolve(file);
    try {
      return Files.exists(path) ? Optional.of(Files.readString(path)) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The member daemons' own logs, for the record of a run. */
  public String logs(String node) {
    try {
      return client.pods().inNamespace(namespace).withName(podName(node)).getLog();
    } catch (RuntimeException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  public void delete() {
    for (String node : pods.keySet()) {
      client.pods().inNamespace(namespace).withName(podName(node)).withGracePeriod(0).delete();
    }
    for (String name : clients.keySet()) {
      client.pods().inNamespace(namespace).withName("client-" + name).withGracePeriod(0).delete();
    }
  }

  private final Map<String, Pod> clients = new LinkedHashMap<>();

  /**
   * A client of the array, not a member: the member daemon over {@code tlsSecret} (a Secret as
   * cert-manager writes one: tls.crt, tls.key, ca.crt) and the array's trust ConfigMap, calling
   * every member pod every second. It carries no member label, so the members never call it.
   */
  public void startClient(String name, String tlsSecret) {
    Pod pod = pod(namespace, array, name, name + ".client", image(), null);
    pod.getMetadata().setName("client-" + name);
    pod.getMetadata().setLabels(Map.of("arraypki.io/client-of", array));
    pod.getSpec().getVolumes().get(0).getSecret().setSecretName(tlsSecret);
    clients.put(name, client.resource(pod).create());
    Waits.upTo(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      Pod now = client.pods().inNamespace(namespace).withName("client-" + name).get();
      org.assertj.core.api.Assertions.assertThat(now.getStatus().getConditions()).as("client pod %s: %s", name,
          now.getStatus()).anySatisfy(c -> {
            org.assertj.core.api.Assertions.assertThat(c.getType()).isEqualTo("Ready");
            org.assertj.core.api.Assertions.assertThat(c.getStatus()).isEqualTo("True");
          });
      clients.put(name, now);
    });
  }

  /** The calls a client pod made to the members so far. */
  public Totals clientTotals(String name) {
    String ip = clients.get(name).getStatus().getPodIP();
    try {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + ip + ":8080/stats"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      JsonNode stats = JSON.readTree(response.body());
      List<String> recent = new ArrayList<>();
      stats.path("recentFailures").forEach(f -> recent.add(name + ": " + f));
      return new Totals(stats.path("attempts").asLong(), stats.path("successes").asLong(),
          stats.path("failures").asLong(), recent, List.of());
    } catch (IOException e) {
      throw new IllegalStateException("stats of client " + name + " at " + ip, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
