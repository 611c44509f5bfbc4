package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.support.AuditLog;
import io.arraypki.operator.support.OperatorProcess;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Quiescence;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Two operator processes with leader election: only the leader writes; a killed leader is replaced. */
@Tag(OperatorUnderTest.IN_PROCESS_ONLY)
class LeaderElectionTest {
  private static Operator cleanup;

  // Registered first so that its afterAll runs last: the namespace is deleted while an operator runs.
  @RegisterExtension
  @Order(1)
  static AfterAllCallback stopCleanup = context -> OperatorUnderTest.stop(cleanup);

  @RegisterExtension
  @Order(2)
  static AbstractOperatorExtension operator = OperatorUnderTest.namespaceOnly();

  private final Scenario scenario = new Scenario(operator);

  private Lease lease() {
    return scenario.client().leases().inNamespace(scenario.ns()).withName("arraypki-operator-leader").get();
  }

  @Test
  void onlyTheLeaderWritesAndAKilledLeaderIsReplacedWithinTheLeaseDuration() throws Exception {
    Map<String, String> env = Map.of("LEADER_ELECTION", "true", "LEADER_ELECTION_NAMESPACE", scenario.ns());
    AuditLog audit = AuditLog.fromNow();
    OperatorProcess first = OperatorProcess.start(scenario.ns(), OperatorProcess.log(getClass(), "first.log"),
        withAgent(env, FIRST));
    OperatorProcess second = OperatorProcess.start(scenario.ns(), OperatorProcess.log(getClass(), "second.log"),
        withAgent(env, SECOND));
    try {
      Waits.converge().until(() -> lease() != null && lease().getSpec().getHolderIdentity() != null);
      String leader = lease().getSpec().getHolderIdentity();
      OperatorProcess leaderProcess = first.pid() == pidOf(leader) ? first : second;
      OperatorProcess follower = leaderProcess == first ? second : first;
      String leaderAgent = leaderProcess == first ? FIRST : SECOND;
      String followerAgent = leaderProcess == first ? SECOND : FIRST;
      scenario.createArray("led", 3, "1s", "1s");
      assertThat(caSecrets("led")).containsExactlyInAnyOrder("led-ca", "led-ca-g1");
      // who wrote, from the API server's audit log: the two processes send user agents of their own
      Waits.converge().untilAsserted(() -> assertThat(audit.writersIn(scenario.ns()))
          .as(() -> "writers in the namespace: " + audit.writeCountsIn(scenario.ns()))
          .hasEntrySatisfying(leaderAgent, w -> assertThat(w).anyMatch(x -> x.contains("secrets/led-ca-g1"))));
      Map<String, java.util.List<String>> whileLed = audit.writersIn(scenario.ns());
      assertThat(whileLed).as("the writes of the follower (%s) while %s led", followerAgent, leaderAgent)
          .doesNotContainKey(followerAgent);

      // the candidates' client certificates follow Ready: the leader is killed once its writes for
      // "led" are over, so that none in flight at the kill counts as a write after it
      Quiescence.settled(() -> Quiescence.secretVersions(scenario, "led"), Duration.ofSeconds(5),
          Duration.ofMinutes(2));
      AuditLog afterKill = AuditLog.fromNow();
      long killedAt = System.nanoTime();
      leaderProcess.kill();
      Waits.upTo(Duration.ofSeconds(60)).until(() -> !leader.equals(lease().getSpec().getHolderIdentity()));
      Duration takeover = Duration.ofNanos(System.nanoTime() - killedAt);
      assertThat(takeover).as("takeover within the 15 s lease plus renew periods (a busy machine's)")
          .isLessThan(Duration.ofSeconds(45));
      assertThat(follower.alive()).isTrue();
      assertThat(pidOf(lease().getSpec().getHolderIdentity())).as("the new leader").isEqualTo(follower.pid());

      scenario.createArray("after", 2, "1s", "1s");
      assertThat(caSecrets("after")).containsExactlyInAnyOrder("after-ca", "after-ca-g1");
      assertThat(caSecrets("led")).as("no second CA").containsExactlyInAnyOrder("led-ca", "led-ca-g1");
      Waits.converge().untilAsserted(() -> assertThat(afterKill.writersIn(scenario.ns()))
          .as("writers in the namespace after the kill")
          .hasEntrySatisfying(followerAgent, w -> assertThat(w).anyMatch(x -> x.contains("secrets/after-ca-g1"))));
      assertThat(afterKill.writersIn(scenario.ns())).as("writes of the killed leader (%s)", leaderAgent)
          .doesNotContainKey(leaderAgent);
    } finally {
      first.close();
      second.close();
      cleanup = OperatorUnderTest.fresh(scenario.ns());
    }
  }

  private static final String FIRST = "arraypki-operator-leader-election-first";
  private static final String SECOND = "arraypki-operator-leader-election-second";

  private static Map<String, String> withAgent(Map<String, String> env, String agent) {
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("KUBERNETES_USER_AGENT", agent);
    return all;
  }

  private java.util.List<String> caSecrets(String array) {
    return scenario.client().secrets().inNamespace(scenario.ns()).withLabel("arraypki.io/array", array)
        .withLabel("arraypki.io/component", "ca").list().getItems().stream().map(s -> s.getMetadata().getName()).toList();
  }

  /** Identities are host-pid when not in a pod. */
  private static long pidOf(String identity) {
    return Long.parseLong(identity.substring(identity.lastIndexOf('-') + 1));
  }
}
