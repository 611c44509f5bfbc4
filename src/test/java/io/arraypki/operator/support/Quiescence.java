package io.arraypki.operator.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.k8s.Labels;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * "Once" proved without a sleep: the resourceVersion of every Secret an array owns stays where it
 * is across reconciles that are forced, and seen to have run. A reconcile is forced by a spec
 * change that changes nothing the operator issues (the array: {@code sshKeys} present as its
 * default or absent; a Node: {@code serving} flipped, which only matters with a
 * {@code serviceCertificate}), and it has run once the object's {@code status.observedGeneration}
 * reaches the new generation.
 */
public final class Quiescence {
  private Quiescence() {}

  /**
   * Secret name -> resourceVersion, of every Secret labelled with the array but the kept copy of
   * its revocation ledger: that one is written when a replaced certificate reaches the CRL,
   * {@code trustPropagationDelay} after its replacement, which is the revocation a renewal owes,
   * not a second issue (the issued Secrets, which would show one, are all here).
   */
  public static Map<String, String> secretVersions(Scenario scenario, String array) {
    Map<String, String> versions = new TreeMap<>();
    scenario.client().secrets().inNamespace(scenario.ns()).withLabel(Labels.ARRAY, array).list().getItems()
        .stream().filter(s -> !Labels.COMPONENT_LEDGER.equals(s.getMetadata().getLabels().get(Labels.COMPONENT)))
        .forEach(s -> versions.put(s.getMetadata().getName(), s.getMetadata().getResourceVersion()));
    return versions;
  }

  /**
   * The snapshot once it has stayed the same for {@code quiet}: the writes that follow Ready (the
   * candidates' client certificates, the candidate map, the trust bundle) land when the operator
   * gets to them, seconds later on a busy machine, so a fixed sleep is either too long or too
   * short. Fails if it never settles within {@code atMost} (an operator that keeps writing).
   */
  public static <T> T settled(Supplier<T> snapshot, Duration quiet, Duration atMost) {
    AtomicReference<T> last = new AtomicReference<>(snapshot.get());
    AtomicReference<Long> since = new AtomicReference<>(System.nanoTime());
    Waits.upTo(atMost).pollInterval(Duration.ofSeconds(1)).until(() -> {
      T now = snapshot.get();
      if (!now.equals(last.get())) {
        last.set(now);
        since.set(System.nanoTime());
        return false;
      }
      return System.nanoTime() - since.get() >= quiet.toNanos();
    });
    return last.get();
  }

  /**
   * Forces {@code rounds} reconciles of the array and of each of {@code nodes} (waiting for each to
   * have run) and asserts that no Secret of the array was written, created or deleted meanwhile.
   */
  public static void assertNoSecretMovesAcrossForcedReconciles(Scenario scenario, String array, List<String> nodes,
      int rounds, String what) {
    Map<String, String> before = secretVersions(scenario, array);
    assertThat(before).as("Secrets of " + array).isNotEmpty();
    for (int round = 0; round < rounds; round++) {
      forceArrayReconcile(scenario, array);
      nodes.forEach(n -> forceNodeReconcile(scenario, n));
      assertThat(secretVersions(scenario, array)).as(what + " (Secret -> resourceVersion, after forced reconcile "
          + (round + 1) + " of the array and of " + nodes + ")").isEqualTo(before);
    }
  }

  /** A generation of the array that changes nothing it issues; returns once a reconcile has seen it. */
  public static void forceArrayReconcile(Scenario scenario, String array) {
    ClusterArray current = Arrays.getArray(scenario.client(), scenario.ns(), array);
    var ssh = current.getSpec().sshKeys;
    assertThat(ssh == null || !Boolean.TRUE.equals(ssh.enabled)).as("the forced reconcile keeps sshKeys off").isTrue();
    scenario.patch(ClusterArray.class, array, ssh == null ? "{\"spec\":{\"sshKeys\":{}}}" : "{\"spec\":{\"sshKeys\":null}}");
    long generation = Arrays.getArray(scenario.client(), scenario.ns(), array).getMetadata().getGeneration();
    assertThat(generation).as("the forced change makes a generation").isGreaterThan(current.getMetadata().getGeneration());
    Waits.converge().untilAsserted(() -> assertThat(
        Arrays.getArray(scenario.client(), scenario.ns(), array).getStatus().observedGeneration)
        .as("observedGeneration of " + array).isGreaterThanOrEqualTo(generation));
  }

  /** A generation of the Node that changes nothing it is issued; returns once a reconcile has seen it. */
  public static void forceNodeReconcile(Scenario scenario, String node) {
    ArrayNode current = Arrays.get(scenario.client(), scenario.ns(), node);
    boolean serving = Boolean.TRUE.equals(current.getSpec().serving);
    scenario.patch(ArrayNode.class, node, "{\"spec\":{\"serving\":" + !serving + "}}");
    long generation = Arrays.get(scenario.client(), scenario.ns(), node).getMetadata().getGeneration();
    assertThat(generation).as("the forced change makes a generation").isGreaterThan(current.getMetadata().getGeneration());
    Waits.converge().untilAsserted(() -> assertThat(
        Arrays.get(scenario.client(), scenario.ns(), node).getStatus().observedGeneration)
        .as("observedGeneration of " + node).isGreaterThanOrEqualTo(generation));
  }
}
