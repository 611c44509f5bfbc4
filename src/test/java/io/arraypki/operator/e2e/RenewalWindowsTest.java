package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.api.PeerCertificatesSpec;
import io.arraypki.operator.api.RenewalSpec;
import io.arraypki.operator.api.RenewalWindowSpec;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.LeafSecrets;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Renewal windows (DESIGN.md section 6) on the real control plane, with minute-wide windows:
 * time-based renewals wait for a window and happen inside it, a requested renewal does not wait,
 * and windows that can never be satisfied for the array's durations are refused without touching
 * anything already issued.
 */
@Order(2) // early and beside the rest: it waits on the clock
@Execution(ExecutionMode.CONCURRENT)
class RenewalWindowsTest {
  @RegisterExtension
  static AbstractOperatorExtension operator = OperatorUnderTest.start();

  private final Scenario scenario = new Scenario(operator);

  /** Windows open in every even UTC minute, for that minute. */
  private static boolean insideAWindow(Instant t) {
    return t.atZone(ZoneOffset.UTC).getMinute() % 2 == 0;
  }

  private static RenewalWindowSpec window(String cron, String zone, String duration) {
    RenewalWindowSpec w = new RenewalWindowSpec();
    w.cron = cron;
    w.timezone = zone;
    w.windowDuration = duration;
    return w;
  }

  private X509Certificate peer(String node) {
    return LeafSecrets.leaf(scenario.secret(node + "-peer-tls")).orElseThrow();
  }

  /** Waits until the clock is in the first 20 seconds of an odd UTC minute, when no window is open. */
  private static void awaitTheStartOfAClosedMinute() {
    Waits.upTo(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() -> {
      ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
      return now.getMinute() % 2 == 1 && now.getSecond() < 20;
    });
  }

  @Test
  void timeBasedRenewalsWaitForTheWindowAndHappenInsideItWhileARequestedRenewalDoesNotWait() {
    ClusterArray array = Arrays.array(scenario.ns(), "win", "win-0");
    array.getSpec().peerCertificates = new PeerCertificatesSpec();
    // due two minutes after issue, and may wait four (two thirds of renewBefore) for a window: the
    // first window after due and the one after it both open in time, so an operator held back past
    // the first (on two busy cores it once missed a whole minute) still renews inside a window
    array.getSpec().peerCertificates.duration = "8m";
    array.getSpec().peerCertificates.renewBefore = "6m";
    array.getSpec().renewal = new RenewalSpec();
    array.getSpec().renewal.windows = List.of(window("*/2 * * * *", null, "1m"));
    List<String> nodes = List.of("win-0", "win-1", "win-2");

    // issued in an odd minute, the members are due two minutes later, in an odd minute again
    awaitTheStartOfAClosedMinute();
    scenario.client().resource(array).create();
    nodes.forEach(n -> scenario.client().resource(Arrays.node(scenario.ns(), n, "win")).create());
    // this class starts beside the member pods' classes, whose JVMs starting on two cores once
    // held the operator's first reconcile of this array back 70 s: a longer wait than converge()
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "win", nodes.size(),
        Waits.upTo(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1)));

    ClusterArrayStatus status = scenario.status("win");
    assertThat(Conditions.find(status.conditions, "RenewalWindows")).hasValueSatisfying(c -> {
      assertThat(c.getStatus()).isEqualTo("True");
      assertThat(c.getReason()).isEqualTo("Accepted");
    });
    assertThat(status.renewal.nextWindowStart).isNotNull();
    assertThat(insideAWindow(Instant.parse(status.renewal.nextWindowStart))).isTrue();

    Map<String, BigInteger> first = new LinkedHashMap<>();
    Map<String, Instant> due = new LinkedHashMap<>();
    List<String> dueWhileClosed = new java.util.ArrayList<>();
    for (String node : nodes) {
      X509Certificate leaf = peer(node);
      first.put(node, leaf.getSerialNumber());
      Instant dueAt = leaf.getNotAfter().toInstant().minus(Duration.ofMinutes(6));
      due.put(node, dueAt);
      if (!insideAWindow(dueAt)) {
        dueWhileClosed.add(node);
      }
      Instant scheduled = Instant.parse(Arrays.get(scenario.client(), scenario.ns(), node).getStatus()
          .peerCertificate.renewalTime);
      assertThat(insideAWindow(scheduled)).as("%s renews at %s, inside a window", node, scheduled).isTrue();
      assertThat(scheduled).as("%s: not before it is due, nor after its last safe moment", node)
          .isAfter(dueAt).isBefore(leaf.getNotAfter().toInstant().minus(Duration.ofMinutes(2)));
    }

    // issued in the first seconds of a closed minute, they are due when no window is open (a slow
    // start may push one into the next minute: at least one shows the wait)
    assertThat(dueWhileClosed).as("members due while no window is open").isNotEmpty();
    Waits.upTo(Duration.ofMinutes(7)).pollInterval(Duration.ofSeconds(1)).until(() ->
        nodes.stream().noneMatch(n -> peer(n).getSerialNumber().equals(first.get(n))));
    for (String node : nodes) {
      Instant renewed = peer(node).getNotBefore().toInstant();
      assertThat(insideAWindow(renewed)).as("%s was renewed at %s, inside a window", node, renewed).isTrue();
      assertThat(renewed).as("%s waited for the window after it was due", node).isAfterOrEqualTo(due.get(node));
    }
    assertThat(nodes.stream().map(n -> peer(n).getNotBefore().toInstant()).collect(Collectors.toSet()))
        .as("spread across the window, not all at once").hasSizeGreaterThan(1);

    // a renew request is never deferred: outside any window, the node renews at once
    awaitTheStartOfAClosedMinute();
    BigInteger before = peer("win-1").getSerialNumber();
    Instant asked = Instant.now();
    scenario.patch(ArrayNode.class, "win-1", "{\"metadata\":{\"annotations\":{\"arraypki.io/renew\":\"r1\"}}}");
    Waits.upTo(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() ->
        !peer("win-1").getSerialNumber().equals(before));
    Instant requested = peer("win-1").getNotBefore().toInstant();
    assertThat(insideAWindow(requested)).as("renewed on request at %s, outside the windows", requested).isFalse();
    assertThat(Duration.between(asked, requested)).isLessThan(Duration.ofSeconds(30));
  }

  @Test
  void windowsThatCannotBeSatisfiedAreRefusedNamingTheFixAndNothingIssuedIsTouched() {
    scenario.client().resource(Arrays.array(scenario.ns(), "yearly", "yearly-0")).create();
    List.of("yearly-0", "yearly-1").forEach(n ->
        scenario.client().resource(Arrays.node(scenario.ns(), n, "yearly")).create());
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "yearly", 2);
    // Ready counts peer certificates; the candidates' client certificates follow the array's
    // choice of candidates a moment later: everything issued first, then the snapshot
    Waits.converge().until(() -> scenario.status("yearly").candidates != null
        && scenario.status("yearly").candidates.size() == 2
        && scenario.status("yearly").candidates.stream().allMatch(c -> scenario.secret(c + "-client-tls") != null));
    Map<String, String> versions = secretVersions("yearly");

    scenario.patch(ClusterArray.class, "yearly", "{\"spec\":{\"renewal\":{\"windows\":[{\"cron\":\"0 3 1 1 *\","
        + "\"timezone\":\"Europe/Berlin\",\"windowDuration\":\"1h\"}]}}}");
    Waits.upTo(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(Conditions.find(scenario.status("yearly").conditions, "RenewalWindows")).hasValueSatisfying(c -> {
          assertThat(c.getStatus()).isEqualTo("False");
          assertThat(c.getReason()).isEqualTo("Unsatisfiable");
          assertThat(c.getMessage()).contains("peerCertificates").contains("renewBefore");
        }));
    Waits.upTo(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(scenario.warnings("yearly", "RenewalWindowsUnsatisfiable"))
        .singleElement().satisfies(m -> assertThat(m).contains("peerCertificates")));
    // the members reconcile on the array's change; give them the time to (not) re-issue
    Waits.upTo(Duration.ofSeconds(20)).pollDelay(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(secretVersions("yearly")).as("nothing issued was touched").isEqualTo(versions));

    scenario.patch(ClusterArray.class, "yearly", "{\"spec\":{\"renewal\":{\"windows\":[{\"cron\":\"0 3 * * TUE\","
        + "\"timezone\":\"Mars/Olympus_Mons\",\"windowDuration\":\"3h\"}]}}}");
    Waits.upTo(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(Conditions.find(scenario.status("yearly").conditions, "RenewalWindows")).hasValueSatisfying(c -> {
          assertThat(c.getReason()).isEqualTo("Invalid");
          assertThat(c.getMessage()).contains("windows[0].timezone");
        }));

    scenario.patch(ClusterArray.class, "yearly", "{\"spec\":{\"renewal\":{\"windows\":[{\"cron\":\"0 3 * * TUE\","
        + "\"timezone\":\"Europe/Berlin\",\"windowDuration\":\"3h\"}]}}}");
    Waits.upTo(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(Conditions.find(scenario.status("yearly").conditions, "RenewalWindows")).hasValueSatisfying(c -> {
          assertThat(c.getStatus()).isEqualTo("True");
          assertThat(c.getReason()).isEqualTo("Accepted");
        }));
    assertThat(secretVersions("yearly")).as("accepting windows re-issues nothing either").isEqualTo(versions);
  }

  /**
   * A new primary while the next CA waits, prepared (DESIGN.md section 6 as the README defines it):
   * the prepared CA, made for the old primary, is dropped, and the new primary's own CA is
   * published and signs, as for any primary change; never more than two CAs are trusted meanwhile.
   */
  @Test
  void aNewPrimaryWhileTheNextCaIsPreparedDropsItAndRotatesToACaOfItsOwn() {
    ClusterArray array = Arrays.array(scenario.ns(), "lead", "lead-0");
    array.getSpec().ca = new io.arraypki.operator.api.CaSpec();
    array.getSpec().ca.duration = "2h";
    array.getSpec().ca.renewBefore = "1h";
    array.getSpec().ca.prepareBefore = "59m50s"; // the next CA is made 10 s in and waits, prepared, an hour
    array.getSpec().rotation = new io.arraypki.operator.api.RotationSpec();
    array.getSpec().rotation.trustPropagationDelay = "1s";
    array.getSpec().rotation.overlap = "1s";
    scenario.client().resource(array).create();
    List.of("lead-0", "lead-1", "lead-2").forEach(n ->
        scenario.client().resource(Arrays.node(scenario.ns(), n, "lead")).create());
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "lead", 3);
    Waits.upTo(Duration.ofSeconds(90)).untilAsserted(() -> {
      ClusterArrayStatus s = scenario.status("lead");
      assertThat(s.rotation.phase).isEqualTo(io.arraypki.operator.api.RotationPhase.Prepared);
      assertThat(s.ca.generation).isEqualTo(1L);
      assertThat(s.trustedCAs).extracting(t -> t.generation).containsExactly(1L, 2L);
    });

    java.util.Set<Integer> trustedAtOnce = new java.util.concurrent.ConcurrentSkipListSet<>();
    scenario.setPrimary("lead", "lead-1");
    Waits.upTo(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
      ClusterArrayStatus s = scenario.status("lead");
      trustedAtOnce.add(s.trustedCAs.size());
      assertThat(s.primary).isEqualTo("lead-1");
      assertThat(s.ca.generation).isEqualTo(3L);
      assertThat(s.rotation.reason).isEqualTo(io.arraypki.operator.api.RotationReason.PrimaryChanged);
    });
    assertThat(scenario.client().secrets().inNamespace(scenario.ns()).withName("lead-ca-g2").get())
        .as("the prepared CA of the old primary is deleted").isNull();
    assertThat(trustedAtOnce).as("CAs trusted at once while the primary changed").allMatch(n -> n <= 2);
  }

  private Map<String, String> secretVersions(String array) {
    return scenario.client().secrets().inNamespace(scenario.ns()).withLabel("arraypki.io/array", array).list()
        .getItems().stream().collect(Collectors.toMap(s -> s.getMetadata().getName(),
            (Secret s) -> s.getMetadata().getResourceVersion()));
  }
}
