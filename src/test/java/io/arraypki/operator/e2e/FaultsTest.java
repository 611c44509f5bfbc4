package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.k8s.LeafSecrets;
import io.arraypki.operator.k8s.Revocations;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.pki.Revocation;
import io.arraypki.operator.pki.SerialNumbers;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.AuditLog;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.OperatorProcess;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults while the operator works: SIGKILL at random points while 100 members are issued and
 * while their rotation runs, kube-apiserver and etcd restarts while members are issued, and a
 * second writer whose read-modify-write updates conflict (409) during a rotation. After each:
 * convergence, one CA Secret per generation, no orphaned Secret, every member with a certificate
 * that openssl verifies against the CA, and nothing issued twice (no Secret records a superseded
 * certificate, the revocation ledger is empty, each Node's status names the serial its Secret
 * holds). The kill points come from a seeded random ({@code -Darraypki.faults.seed} replays one);
 * the time each took to converge goes to target/faults/convergence.txt for the README.
 */
@Tag(OperatorUnderTest.IN_PROCESS_ONLY)
class FaultsTest {
  private static final long SEED = Long.getLong("arraypki.faults.seed", System.nanoTime());
  private static final Path RESULTS = Commands.projectDir().resolve("target/faults/convergence.txt");

  /**
   * The processes killed at random points reconcile on two threads, not sixteen: a process that
   * starts on sixteen reconciles as many members at once, their first writes land together, and a
   * kill meant for the middle of the issuing (or of the rotation) once came after the last member.
   */
  private static final Map<String, String> KILLED_PROCESS = Map.of("LEADER_ELECTION", "false", "RECONCILE_THREADS", "2");

  /** The in-process operator that runs between the faults of the tests that kill processes. */
  private static Operator current;

  @RegisterExtension
  @Order(1)
  static AfterAllCallback stopCurrent = context -> OperatorUnderTest.stop(current);

  @RegisterExtension
  @Order(2)
  static AbstractOperatorExtension operator = OperatorUnderTest.namespaceOnly();

  private final Scenario scenario = new Scenario(operator);
  private final Random random = new Random(SEED);
  @TempDir Path dir;

  @BeforeAll
  static void anOperatorThatTheTestsCanStop() {
    current = OperatorUnderTest.fresh(operator.getNamespace());
  }

  @Test
  void hundredMembersAndTheirRotationSurviveSigkillsAtRandomPoints() throws Exception {
    System.out.println("FaultsTest seed " + SEED);
    OperatorUnderTest.stop(current);
    current = null;
    AuditLog whileDown = AuditLog.fromNow();
    Path log = OperatorProcess.log(getClass(), "operator.log");
    try {
      List<String> nodes = createArrayWithoutWaiting("hundred", 100);
      // three kills while issuing, each once the process has issued certificates and a random
      // number of members hold one; where each landed is read after it (a killed process writes no more)
      List<Integer> thresholds = randomAscending(3, 5, 90);
      List<String> issuingKills = new ArrayList<>();
      for (int threshold : thresholds) {
        long atStart = peerSecrets("hundred");
        long target = Math.max(threshold, atStart + 1);
        try (OperatorProcess process = OperatorProcess.start(scenario.ns(), log, KILLED_PROCESS)) {
          Waits.upTo(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(20))
              .until(() -> peerSecrets("hundred") >= target);
          process.kill();
        }
        long atKill = peerSecrets("hundred");
        issuingKills.add(atStart + "->" + atKill);
        assertThat(atKill).as("kill %d while issuing (certificates when the process started -> when it was killed: %s): "
            + "the process had issued certificates", issuingKills.size(), issuingKills).isGreaterThan(atStart);
        assertThat(atKill).as("kill %d while issuing (%s): not yet all 100", issuingKills.size(), issuingKills)
            .isLessThan(100);
      }
      // the killed processes alone issued (their agent is fabric8's): no in-process operator ran
      assertThat(whileDown.writeCountsIn(scenario.ns()).keySet()).as("writers while only the killed processes ran")
          .noneMatch(agent -> agent.startsWith(OperatorUnderTest.FRESH_AGENT));
      long started = System.nanoTime();
      try (OperatorProcess last = OperatorProcess.start(scenario.ns(), log)) {
        awaitConverged("hundred", nodes, 1);
        record("sigkill x3 while issuing 100 members (certificates at each process's start->kill " + issuingKills
            + ")", started);
      }
      assertHealthy("hundred", nodes, 1);

      // two kills during the rotation to a new primary, each once the process has re-signed
      // members, with the phase and progress at the kill read after it
      scenario.setPrimary("hundred", "hundred-" + (1 + random.nextInt(99)));
      List<String> rotationKills = new ArrayList<>();
      for (int kill = 0; kill < 2; kill++) {
        long atStart = signedBy("hundred", 2);
        int resigned = (int) Math.max(random.nextInt(90), atStart + 1);
        try (OperatorProcess process = OperatorProcess.start(scenario.ns(), log, KILLED_PROCESS)) {
          Waits.upTo(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(20))
              .until(() -> resignedAtLeast("hundred", resigned));
          process.kill();
        }
        var status = scenario.status("hundred");
        RotationPhase phase = status.rotation == null ? RotationPhase.Idle : status.rotation.phase;
        long atKill = signedBy("hundred", 2);
        rotationKills.add(phase + " " + atStart + "->" + atKill);
        assertThat(phase).as("kill %d during the rotation (phase, members on the new CA at the process's start -> "
            + "kill: %s): the rotation was under way", kill + 1, rotationKills).isNotEqualTo(RotationPhase.Idle);
        assertThat(status.ca.generation).as("the new CA signs").isEqualTo(2L);
        assertThat(atKill).as("kill %d during the rotation (%s): the process had re-signed members", kill + 1,
            rotationKills).isGreaterThan(atStart);
      }
      started = System.nanoTime();
      try (OperatorProcess last = OperatorProcess.start(scenario.ns(), log)) {
        awaitConverged("hundred", nodes, 2);
        record("sigkill x2 during the rotation of 100 members (phase, re-signed at each process's start->kill "
            + rotationKills + ")", started);
      }
      assertHealthy("hundred", nodes, 2);
    } finally {
      current = OperatorUnderTest.fresh(scenario.ns());
    }
  }

  @Test
  void anEtcdRestartWhileMembersAreIssuedIsSurvived() throws Exception {
    restartWhileIssuing("etcd", "restart-etcd", "etcd restart while issuing 30 members");
  }

  @Test
  void aKubeApiserverRestartWhileMembersAreIssuedIsSurvived() throws Exception {
    restartWhileIssuing("apiserver", "restart-apiserver", "kube-apiserver restart while issuing 30 members");
  }

  private void restartWhileIssuing(String array, String restart, String fault) throws Exception {
    List<String> nodes = createArrayWithoutWaiting(array, 30);
    Waits.upTo(Duration.ofMinutes(2)).until(() -> peerSecrets(array) >= 5);
    long started = System.nanoTime();
    localCluster(restart);
    awaitConverged(array, nodes, 1);
    record(fault, started);
    assertHealthy(array, nodes, 1);
  }

  @Test
  void aSecondWriterWhoseUpdatesConflictDuringARotationDisturbsNothing() throws Exception {
    List<String> nodes = scenario.createArray("contended", 20, "1s", "1s");
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger conflicts = new AtomicInteger();
    List<Thread> writers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      Thread writer = new Thread(() -> conflictingUpdates(nodes, writing, conflicts), "second-writer-" + w);
      writer.start();
      writers.add(writer);
    }
    long started = System.nanoTime();
    try {
      scenario.setPrimary("contended", "contended-7");
      awaitConverged("contended", nodes, 2);
    } finally {
      writing.set(false);
      for (Thread writer : writers) {
        writer.join();
      }
    }
    record("rotation of 20 members under " + conflicts.get() + " conflicting (409) updates", started);
    assertThat(conflicts.get()).as("updates of the second writer refused with 409 Conflict").isPositive();
    assertHealthy("contended", nodes, 2);
  }

  // ---------------------------------------------------------------- the second writer

  /** Read-modify-write of labels on the array and the Nodes, as a controller with a stale cache does. */
  private void conflictingUpdates(List<String> nodes, AtomicBoolean writing, AtomicInteger conflicts) {
    KubernetesClient client = scenario.client();
    int i = 0;
    while (writing.get()) {
      try {
        if (i % 2 == 0) {
          ClusterArray array = client.resources(ClusterArray.class).inNamespace(scenario.ns()).withName("contended").get();
          array.getMetadata().getLabels().put("writer", Integer.toString(i));
          client.resource(array).update();
        } else {
          ArrayNode node = client.resources(ArrayNode.class).inNamespace(scenario.ns())
              .withName(nodes.get(i % nodes.size())).get();
          node.getMetadata().getLabels().put("writer", Integer.toString(i));
          client.resource(node).update();
        }
      } catch (KubernetesClientException e) {
        if (e.getCode() == 409) {
          conflicts.incrementAndGet();
        }
      }
      i++;
    }
  }

  // ---------------------------------------------------------------- helpers

  private List<String> createArrayWithoutWaiting(String array, int members) {
    ClusterArray a = Arrays.array(scenario.ns(), array, array + "-0");
    a.getSpec().rotation = new io.arraypki.operator.api.RotationSpec();
    a.getSpec().rotation.trustPropagationDelay = "1s";
    a.getSpec().rotation.overlap = "1s";
    scenario.client().resource(a).create();
    List<String> nodes = IntStream.range(0, members).mapToObj(i -> array + "-" + i).toList();
    nodes.forEach(n -> scenario.client().resource(Arrays.node(scenario.ns(), n, array)).create());
    return nodes;
  }

  private List<Integer> randomAscending(int count, int from, int to) {
    return random.ints(count, from, to).sorted().boxed().toList();
  }

  private long peerSecrets(String array) {
    return scenario.client().secrets().inNamespace(scenario.ns()).withLabel("arraypki.io/array", array)
        .withLabel("arraypki.io/component", "peer").list().getItems().size();
  }

  private long signedBy(String array, long generation) {
    return scenario.client().secrets().inNamespace(scenario.ns()).withLabel("arraypki.io/array", array)
        .withLabel("arraypki.io/component", "peer").list().getItems().stream()
        .filter(s -> Long.toString(generation).equals(s.getMetadata().getAnnotations().get("arraypki.io/signed-by-generation")))
        .count();
  }

  /** Resigning with at least {@code count} members moved, or already done. */
  private boolean resignedAtLeast(String array, int count) {
    var status = scenario.status(array);
    RotationPhase phase = status.rotation == null ? RotationPhase.Idle : status.rotation.phase;
    return phase == RotationPhase.Resigning && signedBy(array, 2) >= count
        || phase == RotationPhase.Idle && status.ca.generation == 2L;
  }

  private void awaitConverged(String array, List<String> nodes, long generation) {
    Waits.upTo(Duration.ofMinutes(5)).untilAsserted(() -> {
      var status = scenario.status(array);
      assertThat(status.ca.generation).isEqualTo(generation);
      assertThat(status.rotation == null || status.rotation.phase == RotationPhase.Idle).isTrue();
      assertThat(status.readyMembers).isEqualTo(nodes.size());
      assertThat(signedBy(array, generation)).isEqualTo(nodes.size());
    });
  }

  /** The invariants every fault must leave intact. */
  private void assertHealthy(String array, List<String> nodes, long generation) throws Exception {
    KubernetesClient client = scenario.client();
    List<Secret> owned = client.secrets().inNamespace(scenario.ns()).withLabel("arraypki.io/array", array).list()
        .getItems();
    Set<String> expected = new TreeSet<>(List.of(array + "-ca", array + "-ca-g" + generation,
        array + "-revocations"));
    nodes.forEach(n -> expected.add(n + "-peer-tls"));
    Set<String> names = new TreeSet<>(owned.stream().map(s -> s.getMetadata().getName()).toList());
    names.removeIf(n -> n.endsWith("-client-tls") || n.endsWith("-ssh")); // candidates' own material
    assertThat(names).as("one CA Secret per generation, one peer Secret per member, the ledger, nothing orphaned")
        .isEqualTo(expected);

    Path ca = Files.writeString(dir.resolve(array + "-ca.crt"),
        SecretData.text(Arrays.secret(client, scenario.ns(), array + "-ca"), "tls.crt").orElseThrow());
    List<String> verify = new ArrayList<>(List.of("verify", "-CAfile", ca.toString()));
    for (String node : nodes) {
      Secret peer = Arrays.secret(client, scenario.ns(), node + "-peer-tls");
      assertThat(peer.getMetadata().getAnnotations()).as(node + ": issued twice").doesNotContainKey("arraypki.io/superseded");
      var certificate = LeafSecrets.leaf(peer).orElseThrow();
      assertThat(LeafSecrets.holdsKeyOf(peer, certificate)).isTrue();
      assertThat(Arrays.get(client, scenario.ns(), node).getStatus().peerCertificate.serialNumber)
          .isEqualTo(SerialNumbers.format(certificate.getSerialNumber()));
      verify.add(Files.writeString(dir.resolve(node + ".crt"), SecretData.text(peer, "tls.crt").orElseThrow()).toString());
    }
    String output = Commands.openssl(verify.toArray(String[]::new)).output();
    assertThat(output.lines().filter(l -> l.endsWith(": OK")).count()).as(output).isEqualTo(nodes.size());

    // The only revocations: the client certificate of a candidate a new primary pushed out of
    // the pool, once; nothing issued twice and revoked, no peer certificate.
    ConfigMap trust = client.configMaps().inNamespace(scenario.ns()).withName(array + "-trust").get();
    List<Revocation> ledger = Revocations.entries(Revocations.read(trust.getData().get("revocations.json")));
    List<String> candidates = scenario.status(array).candidates;
    assertThat(ledger).as("revocations").allSatisfy(r -> assertThat(candidates).doesNotContain(r.node()));
    assertThat(ledger.stream().map(Revocation::node).distinct().count()).as("revocations per node: " + ledger)
        .isEqualTo(ledger.size());
    assertThat(ledger).hasSizeLessThanOrEqualTo(generation > 1 ? 1 : 0);
  }

  private static void localCluster(String command) {
    Commands.run(List.of("bash", Commands.projectDir().resolve("e2e/local-cluster.sh").toString(), command), null,
        java.util.Map.of(), 300).orFail(command);
  }

  private static void record(String fault, long startedNanos) throws IOException {
    double seconds = (System.nanoTime() - startedNanos) / 1e9;
    Files.createDirectories(RESULTS.getParent());
    Files.writeString(RESULTS, String.format("%s: converged in %.1f s (seed %d)%n", fault, seconds, SEED),
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }
}
