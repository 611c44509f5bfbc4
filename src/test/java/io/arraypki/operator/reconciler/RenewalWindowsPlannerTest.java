package io.arraypki.operator.reconciler;

import static io.arraypki.operator.reconciler.Pki.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ArrayNodeSpec;
import io.arraypki.operator.api.CaStatus;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArraySpec;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.api.RenewalSpec;
import io.arraypki.operator.api.RenewalWindowSpec;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.LeafSecrets;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.LeafDecision;
import io.arraypki.operator.pki.Pem;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A member's renewals with renewal windows (DESIGN.md section 6), planned at fixed instants: the
 * peer certificate issued on Sunday 2026-11-22 for 90 days is due on Thursday 2027-01-21 and
 * renews inside the Tuesday night window after; the array's bound per minute holds a renewal back.
 */
class RenewalWindowsPlannerTest {
  private static final String NS = "pki";
  private static final Instant TUESDAY_OPENS = Instant.parse("2027-01-26T02:00:00Z");
  private static final Instant TUESDAY_CLOSES = Instant.parse("2027-01-26T05:00:00Z");
  private final CertificateAuthority ca = Pki.ca("sgd g1");

  private static ArrayNode node(String name) {
    ArrayNode node = new ArrayNode();
    node.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).withUid("uid-" + name)
        .withGeneration(1L).withCreationTimestamp(Conditions.timestamp(NOW.minus(Duration.ofHours(1)))).build());
    node.setSpec(new ArrayNodeSpec());
    node.getSpec().array = "sgd";
    node.getSpec().peerDNSName = name + ".sgd.example.com";
    return node;
  }

  private static ClusterArray array(String cron) {
    ClusterArray array = new ClusterArray();
    array.setMetadata(new ObjectMetaBuilder().withName("sgd").withNamespace(NS).withUid("uid-sgd").withGeneration(1L)
        .build());
    array.setSpec(new ClusterArraySpec());
    array.getSpec().primary = "a";
    array.getSpec().renewal = new RenewalSpec();
    RenewalWindowSpec window = new RenewalWindowSpec();
    window.cron = cron;
    window.timezone = "Europe/Berlin";
    window.windowDuration = "3h";
    array.getSpec().renewal.windows = List.of(window);
    array.setStatus(new ClusterArrayStatus());
    array.getStatus().ca = new CaStatus();
    array.getStatus().ca.generation = 1L;
    array.getStatus().candidates = List.of("a");
    return array;
  }

  private IssuingView view(ClusterArray array) {
    return new IssuingView("sgd", array, ArraySettings.of(array.getSpec()), ca, 1, Pem.encode(ca.certificate()), 1,
        List.of(), KeystorePasswords.NONE, null, null);
  }

  private static NodeObservation observe(ArrayNode node, IssuingView view, Optional<Secret> peer) {
    return new NodeObservation(node, view, Optional.empty(), Optional.of(view.array()), peer, Optional.empty(),
        Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
  }

  private static Secret peer(NodePlan plan) {
    return plan.leaves().stream().map(LeafIssuer.Planned::desired)
        .filter(s -> s.getMetadata().getName().equals("b-peer-tls")).findFirst().orElseThrow();
  }

  @Test
  void aMembersNextRenewalIsInsideTheFirstWindowAfterItIsDueAndItsStatusSaysWhen() {
    NodePlan issued = NodePlanner.plan(observe(node("b"), view(array("0 3 * * TUE")), Optional.empty()), NOW);
    Instant renewal = Instant.parse(issued.status().peerCertificate.renewalTime);
    assertThat(renewal).isBetween(TUESDAY_OPENS, TUESDAY_CLOSES);
    assertThat(issued.wake()).contains(renewal);

    NodePlan before = NodePlanner.plan(observe(node("b"), view(array("0 3 * * TUE")), Optional.of(peer(issued))),
        renewal.minusSeconds(1));
    assertThat(before.leaves()).allSatisfy(l -> assertThat(l.writes()).isFalse());

    NodePlan renewed = NodePlanner.plan(observe(node("b"), view(array("0 3 * * TUE")), Optional.of(peer(issued))),
        renewal);
    assertThat(LeafSecrets.leaf(peer(renewed)).orElseThrow().getSerialNumber())
        .isNotEqualTo(LeafSecrets.leaf(peer(issued)).orElseThrow().getSerialNumber());
    assertThat(renewed.announcements()).anySatisfy(a -> assertThat(a.toString()).contains(LeafDecision.RENEWAL_DUE));
  }

  @Test
  void aRenewalOverTheArraysBoundPerMinuteWaitsUntilTheMinuteHasRoomWithoutIssuing() {
    NodePlan issued = NodePlanner.plan(observe(node("b"), view(array("0 3 * * TUE")), Optional.empty()), NOW);
    Instant renewal = Instant.parse(issued.status().peerCertificate.renewalTime);
    Instant room = renewal.plusSeconds(42);
    IssuingView full = view(array("0 3 * * TUE")).withAdmission(now -> Optional.of(room));

    NodePlan held = NodePlanner.plan(observe(node("b"), full, Optional.of(peer(issued))), renewal);
    assertThat(held.leaves()).allSatisfy(l -> assertThat(l.writes()).as("nothing issued").isFalse());
    assertThat(held.status().peerCertificate.renewalTime).isEqualTo(Conditions.timestamp(room));
    assertThat(held.wake()).contains(room);
  }

  @Test
  void theThrottleAdmitsItsBoundInAMinuteThenNoneUntilTheOldestLeavesIt() {
    RenewalThrottle throttle = new RenewalThrottle();
    RenewalThrottle.Admission twoAMinute = throttle.forArray("pki/sgd", 2);
    assertThat(twoAMinute.refusedUntil(NOW)).isEmpty();
    assertThat(twoAMinute.refusedUntil(NOW.plusSeconds(10))).isEmpty();
    assertThat(twoAMinute.refusedUntil(NOW.plusSeconds(20))).contains(NOW.plusSeconds(60));
    assertThat(throttle.forArray("pki/other", 2).refusedUntil(NOW.plusSeconds(20))).as("per array").isEmpty();
    assertThat(twoAMinute.refusedUntil(NOW.plusSeconds(60))).as("the first left the minute").isEmpty();
    assertThat(twoAMinute.refusedUntil(NOW.plusSeconds(61))).contains(NOW.plusSeconds(70));
  }
}
