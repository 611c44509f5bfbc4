package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.api.RotationSpec;
import io.arraypki.operator.api.TrustState;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.k8s.TrustLeases;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.pki.SerialNumbers;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.MemberPods;
import static io.arraypki.operator.support.MemberPodsRecord.keepLogs;
import static io.arraypki.operator.support.MemberPodsRecord.record;
import io.arraypki.operator.support.OperatorMetricsScrape;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.PemFiles;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Confirmed trust propagation (DESIGN.md section 6) with real member pods on the local worker
 * node, their Secrets and the trust ConfigMap delivered by a kubelet with its default settings:
 * Java members confirm through the member library, a member that is not Java through the
 * operator image's confirm-trust sidecar, each on its own Lease under its node's
 * ServiceAccount. The rotations' timers are set far longer than the kubelet needs (10 minutes'
 * trust propagation delay, an hour's overlap), so a rotation that ends in minutes ended on the
 * members' confirmations.
 */
@Tag("member-pods")
@Order(2) // early, beside the other member pods: the rest of the suite runs while the kubelet delivers
@Execution(ExecutionMode.CONCURRENT)
class ConfirmedRotationPodsTest {
  @RegisterExtension
  static AbstractOperatorExtension operator = OperatorUnderTest.start();

  private static final Duration TIMERS_DELAY = Duration.ofMinutes(10);
  private final Scenario scenario = new Scenario(operator);

  private KubernetesClient client() {
    return scenario.client();
  }

  private String ns() {
    return scenario.ns();
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void aPrimaryChangeEndsOnTheMembersConfirmationsInMinutesNotTheTimersWithZeroFailedCallsIncludingANonJavaMember(
      @TempDir Path tmp) throws Exception {
    List<String> nodes = confirmingArray("conf", 4, "5m");
    Map<String, MemberPods.Kind> kinds = new LinkedHashMap<>();
    nodes.subList(0, 3).forEach(n -> kinds.put(n, MemberPods.Kind.JAVA_CONFIRMING));
    String plain = nodes.get(3);
    kinds.put(plain, MemberPods.Kind.PLAIN_WITH_SIDECAR);
    MemberPods members = MemberPods.start(client(), ns(), "conf", kinds);
    try (LeaseWrites writes = new LeaseWrites(client(), ns(), "conf")) {
      Waits.upTo(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(members::allPeersReached);
      awaitAllCurrent(nodes);
      // the array's status follows its Nodes' (its reconcile runs after it hears of the last one)
      Waits.upTo(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(scenario.status("conf").conditions).anySatisfy(c -> {
            assertThat(c.getType()).isEqualTo("MembersCurrent");
            assertThat(c.getStatus()).isEqualTo("True");
            assertThat(c.getReason()).isEqualTo("NoneStale");
            assertThat(c.getMessage()).startsWith("4 member(s) confirm what they load");
          }));
      MemberPods.Totals start = members.totals();
      writes.reset();

      Instant began = Instant.now();
      scenario.setPrimary("conf", "conf-1");
      Set<String> namedWhileWaiting = awaitRotatedTo("conf", 2, Duration.ofMinutes(8));
      Duration took = Duration.between(began, Instant.now());
      MemberPods.Totals during = members.totals().minus(start);
      record(String.format("confirmed: primary change with trustPropagationDelay 10m and overlap 1h, %d members"
          + " confirming (one through the sidecar): %s in %d s; waitingFor named %s", nodes.size(),
          during.text(), took.toSeconds(), namedWhileWaiting));

      assertThat(took).as("ended on confirmations, long before the 10m delay alone").isLessThan(TIMERS_DELAY);
      assertThat(during.attempts()).as("calls made during the rotation").isGreaterThan(3L * 3 * 30);
      assertThat(during.failures()).as("failed calls between member pods during the rotation, "
          + during.failuresSeenByBothEnds()).isZero();
      assertThat(namedWhileWaiting).as("status.rotation.waitingFor named members while they loaded").isNotEmpty();
      assertThat(scenario.warnings("conf", "ConfirmationTimedOut")).as("nobody was left behind").isEmpty();
      awaitAllCurrent(nodes);
      record("confirmed: lease writes during the rotation, until every member was current again: "
          + writes.perLease());
      for (String node : nodes) {
        assertThat(writes.perLease().getOrDefault(node + "-trust", 0))
            .as("writes to %s-trust: at most one per change it loaded (new bundle, new leaf, old CA gone)", node)
            .isBetween(2, 3);
      }

      // the member that is not Java serves its new certificate: openssl, as a client of the array
      String served = opensslPing(tmp, members.podIp(plain), scenario.secret("conf-0-peer-tls"),
          Arrays.get(client(), ns(), plain).getSpec().peerDNSName);
      BigInteger plainSerial = leaf(plain).getSerialNumber();
      assertThat(served).contains("PONG " + plain + " " + plainSerial.toString(16));

      // steady state: no confirmation is written while nothing changes (members keep polling)
      writes.reset();
      MemberPods.Totals quiet = members.totals();
      Waits.upTo(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
          .until(() -> members.totals().minus(quiet).successes() >= 3L * 3 * 20); // about 20 s of calls
      assertThat(writes.perLease()).as("lease writes in a steady state").isEmpty();
    } finally {
      keepLogs("conf", members);
      members.delete();
    }
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void aMemberStoppedMidRotationIsNamedTheRotationEndsAfterTheTimeoutWithAWarningAndTheRestartedMemberIsCurrent()
      throws Exception {
    List<String> nodes = confirmingArray("halt", 3, "1m");
    Map<String, MemberPods.Kind> kinds = new LinkedHashMap<>();
    nodes.forEach(n -> kinds.put(n, MemberPods.Kind.JAVA_CONFIRMING));
    MemberPods members = MemberPods.start(client(), ns(), "halt", kinds);
    try {
      awaitAllCurrent(nodes);
      String stopped = nodes.get(2);

      // its ServiceAccount can confirm for itself only: another member's Lease is refused by RBAC
      String account = Arrays.get(client(), ns(), stopped).getSpec().serviceAccountName;
      try (KubernetesClient asMember = impersonating("system:serviceaccount:" + ns() + ":" + account)) {
        var others = asMember.resources(Lease.class).inNamespace(ns()).withName(nodes.get(0) + "-trust");
        KubernetesClientException patch = org.junit.jupiter.api.Assertions.assertThrows(
            KubernetesClientException.class, () -> others.patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"metadata\":{\"annotations\":{\"" + TrustLeases.TRUSTED_CAS + "\":\"sha256:00\"}}}"));
        assertThat(patch.getCode()).isEqualTo(403);
        Lease theirs = client().resources(Lease.class).inNamespace(ns()).withName(nodes.get(0) + "-trust").get();
        KubernetesClientException update = org.junit.jupiter.api.Assertions.assertThrows(
            KubernetesClientException.class, () -> asMember.resource(theirs).update());
        assertThat(update.getCode()).isEqualTo(403);
        assertThat(asMember.resources(Lease.class).inNamespace(ns()).withName(stopped + "-trust").get())
            .as("its own Lease it may read").isNotNull();
      }

      // the rotation starts, and the member's pod stops before the kubelet brings it the new bundle
      Instant began = Instant.now();
      scenario.patch(ClusterArray.class, "halt", "{\"metadata\":{\"annotations\":{\"arraypki.io/renew-ca\":\"t1\"}}}");
      Waits.upTo(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
        var rotation = scenario.status("halt").rotation;
        return rotation != null && rotation.phase == RotationPhase.PublishingTrust && rotation.waitingFor != null
            && rotation.waitingFor.contains(stopped);
      });
      members.stop(stopped);
      Set<String> named = awaitRotatedTo("halt", 2, Duration.ofMinutes(8));
      Duration took = Duration.between(began, Instant.now());
      record(String.format("stopped member: renew-ca, %s stopped as it began, confirmationTimeout 1m: done in %d s,"
          + " waitingFor named %s", stopped, took.toSeconds(), named));
      assertThat(named).as("the stopped member is named while the rotation waits for it").contains(stopped);
      assertThat(took).as("the timeout, not the 10m delay, let the rotation go on").isLessThan(TIMERS_DELAY);
      assertThat(scenario.warnings("halt", "ConfirmationTimedOut")).as("Warning Events naming the stopped member")
          .isNotEmpty().allSatisfy(m -> assertThat(m).contains(stopped));

      // outside the rotation, a member behind for longer than the timeout is a problem of its own
      Waits.upTo(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        assertThat(Arrays.get(client(), ns(), stopped).getStatus().trust.state).isEqualTo(TrustState.Stale);
        assertThat(Conditions.find(scenario.status("halt").conditions, "MembersCurrent")).hasValueSatisfying(c -> {
          assertThat(c.getStatus()).isEqualTo("False");
          assertThat(c.getReason()).isEqualTo("MembersStale");
          assertThat(c.getMessage()).contains(stopped);
        });
      });
      awaitAllCurrent(nodes.stream().filter(n -> !n.equals(stopped)).toList()); // the others loaded the retirement
      if (OperatorUnderTest.deployed()) { // the deployed leader's /metrics, through the API server's pod proxy
        Waits.upTo(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
            assertThat(OperatorMetricsScrape.find(OperatorMetricsScrape.scrape(), "arraypki_array_members_behind",
                Map.of("namespace", ns(), "array", "halt"))).singleElement()
                .satisfies(sample -> assertThat(sample.value()).isEqualTo(1.0)));
      }

      members.restart(stopped);
      awaitAllCurrent(nodes);
      Waits.upTo(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).until(() ->
          Conditions.isTrue(scenario.status("halt").conditions, "MembersCurrent"));
      if (OperatorUnderTest.deployed()) {
        Waits.upTo(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
            assertThat(OperatorMetricsScrape.find(OperatorMetricsScrape.scrape(), "arraypki_array_members_behind",
                Map.of("namespace", ns(), "array", "halt"))).singleElement()
                .satisfies(sample -> assertThat(sample.value()).isZero()));
      }
    } finally {
      keepLogs("halt", members);
      members.delete();
    }
  }

  /**
   * An array of {@code size} nodes, each naming a ServiceAccount of its own (made here), with
   * timers far longer than the kubelet needs; Ready.
   */
  private List<String> confirmingArray(String array, int size, String confirmationTimeout) {
    ClusterArray a = Arrays.array(ns(), array, array + "-0");
    a.getSpec().rotation = new RotationSpec();
    a.getSpec().rotation.trustPropagationDelay = "10m";
    a.getSpec().rotation.overlap = "1h";
    a.getSpec().rotation.confirmationTimeout = confirmationTimeout;
    client().resource(a).create();
    List<String> nodes = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      String name = array + "-" + i;
      client().resource(new ServiceAccountBuilder().withNewMetadata().withName(name + "-member").withNamespace(ns())
          .endMetadata().build()).create();
      ArrayNode node = Arrays.node(ns(), name, array);
      node.getSpec().serviceAccountName = name + "-member";
      client().resource(node).create();
      nodes.add(name);
    }
    Arrays.awaitArrayReady(client(), ns(), array, size);
    return nodes;
  }

  /** Every node's member confirmed the bundle and certificate its Secret holds now. */
  private void awaitAllCurrent(List<String> nodes) {
    Waits.upTo(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      for (String node : nodes) {
        ArrayNode n = Arrays.get(client(), ns(), node);
        assertThat(n.getStatus().trust).as("trust of %s", node).isNotNull();
        assertThat(n.getStatus().trust.state).as("trust of %s: %s", node, n.getStatus().trust.confirmedAt)
            .isEqualTo(TrustState.Current);
        assertThat(n.getStatus().trust.leafSerials).as("%s serves its Secret's certificate", node)
            .contains(SerialNumbers.format(leaf(node).getSerialNumber()));
      }
    });
  }

  /**
   * Waits until only CA {@code generation} is trusted and every member is re-signed; returns the
   * members status.rotation.waitingFor named on the way.
   */
  private Set<String> awaitRotatedTo(String array, long generation, Duration within) {
    Set<String> named = new LinkedHashSet<>();
    Waits.upTo(within).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      ClusterArrayStatus status = scenario.status(array);
      if (status.rotation != null && status.rotation.waitingFor != null) {
        named.addAll(status.rotation.waitingFor);
      }
      assertThat(status.ca.generation).isEqualTo(generation);
      assertThat(status.rotation.phase).isEqualTo(RotationPhase.Idle);
      assertThat(status.trustedCAs).extracting(t -> t.generation).containsExactly(generation);
    });
    return named;
  }

  private java.security.cert.X509Certificate leaf(String node) {
    return Pem.certificate(SecretData.text(scenario.secret(node + "-peer-tls"), "tls.crt").orElseThrow(), "tls.crt");
  }

  private KubernetesClient impersonating(String user) {
    return new KubernetesClientBuilder().withConfig(new ConfigBuilder(client().getConfiguration())
        .withImpersonateUsername(user).withImpersonateGroups("system:serviceaccounts",
            "system:serviceaccounts:" + ns(), "system:authenticated").build()).build();
  }

  /** PING over mutual TLS with openssl s_client as {@code client}'s holder; what the member answered. */
  private static String opensslPing(Path dir, String ip, Secret client, String serverName) {
    Path key = PemFiles.write(dir, "client.key", client, "tls.key");
    Path cert = PemFiles.write(dir, "client.crt", client, "tls.crt");
    Path ca = PemFiles.write(dir, "ca.crt", client, "ca.crt");
    Commands.Result result = Commands.run(List.of("openssl", "s_client", "-connect", ip + ":7443", "-cert",
        cert.toString(), "-key", key.toString(), "-CAfile", ca.toString(), "-verify_hostname", serverName,
        "-verify_return_error", "-servername", serverName, "-ign_eof", "-quiet"), "PING openssl\n", Map.of(), 30);
    assertThat(result.exitCode()).as("openssl s_client: %s", result.output()).isZero();
    return result.output();
  }

  /**
   * Counts the writes to the trust Leases of one array's members, from a watch (the audit log
   * leaves Leases out). Only that array's: the other test of this class rotates its own array in
   * the same namespace at the same time, and its members' writes say nothing about this one.
   */
  private static final class LeaseWrites implements AutoCloseable {
    private final Map<String, AtomicInteger> writes = new ConcurrentHashMap<>();
    private final Map<String, String> seen = new ConcurrentHashMap<>();
    private final Watch watch;

    LeaseWrites(KubernetesClient client, String namespace, String array) {
      watch = client.resources(Lease.class).inNamespace(namespace).watch(new Watcher<Lease>() {
        @Override
        public void eventReceived(Action action, Lease lease) {
          String name = lease.getMetadata().getName();
          String version = lease.getMetadata().getResourceVersion();
          if (action == Action.MODIFIED && name.startsWith(array + "-")
              && !Objects.equals(seen.put(name, version), version)) {
            writes.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
          }
        }

        @Override
        public void onClose(WatcherException cause) {}
      });
    }

    void reset() {
      writes.clear();
    }

    Map<String, Integer> perLease() {
      Map<String, Integer> counts = new java.util.TreeMap<>();
      writes.forEach((k, v) -> counts.put(k, v.get()));
      return counts;
    }

    @Override
    public void close() {
      watch.close();
    }
  }

}
