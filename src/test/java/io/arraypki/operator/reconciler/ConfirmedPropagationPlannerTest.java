package io.arraypki.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.api.RotationReason;
import io.arraypki.operator.reconciler.RotationPlanner.Confirmations;
import io.arraypki.operator.reconciler.RotationPlanner.Phase;
import io.arraypki.operator.reconciler.RotationPlanner.Plan;
import io.arraypki.operator.reconciler.RotationPlanner.StepKind;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md section 6, "Confirmed propagation", in the pure rotation planner: the waits end when
 * the members that confirm have confirmed, members that never confirm keep the timers, and a
 * member silent past confirmationTimeout is named and does not block the array.
 */
class ConfirmedPropagationPlannerTest {
  private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  private static final Duration DELAY = Duration.ofSeconds(30);
  private static final Duration OVERLAP = Duration.ofHours(1);
  private static final Duration TIMEOUT = Duration.ofMinutes(3);

  private static FactsBuilder publishing() {
    return new FactsBuilder().desiredPrimary("b").generations(Map.of(1L, "a", 2L, "b")).trusted(List.of(1L, 2L))
        .trustingPending(5)
        .phase(new Phase(RotationPhase.PublishingTrust, RotationReason.PrimaryChanged, 2L, NOW, null, null));
  }

  private static FactsBuilder resigned() {
    return new FactsBuilder().active(2L, "b").desiredPrimary("b").generations(Map.of(1L, "a", 2L, "b"))
        .trusted(List.of(1L, 2L)).onActive(5).withLeaves(Set.of(2L))
        .phase(new Phase(RotationPhase.Resigning, RotationReason.PrimaryChanged, 2L, NOW, null, null));
  }

  private static Confirmations confirming(List<String> notTrusting, List<String> notServing) {
    return new Confirmations(notTrusting, notServing, false);
  }

  @Test
  void publishingTrustEndsTheMomentEveryConfirmingMemberTrustsTheNewCaWithoutWaitingForTheDelay() {
    Plan waiting = RotationPlanner.plan(publishing().confirmations(confirming(List.of("m3", "m4"), List.of()))
        .build());
    assertThat(waiting.active()).isEqualTo(1L);
    assertThat(waiting.waitingFor()).containsExactly("m3", "m4");
    assertThat(waiting.phase().waitingSince()).isEqualTo(NOW);
    assertThat(waiting.phase().phaseEndsAt()).as("the timeout is the upper bound").isEqualTo(NOW.plus(TIMEOUT));

    Plan confirmed = RotationPlanner.plan(publishing().phase(waiting.phase()).now(NOW.plusSeconds(7))
        .confirmations(confirming(List.of(), List.of())).build());
    assertThat(confirmed.active()).as("signs 7 s after publishing, not after the 30 s delay").isEqualTo(2L);
    assertThat(confirmed.phase().phase()).isEqualTo(RotationPhase.Resigning);
    assertThat(confirmed.events()).extracting(RotationPlanner.Step::kind).containsExactly(StepKind.Resigning);
  }

  @Test
  void aMemberThatNeverConfirmedStillGetsTheTrustPropagationDelay() {
    Plan plan = RotationPlanner.plan(publishing().now(NOW.plusSeconds(7))
        .phase(new Phase(RotationPhase.PublishingTrust, RotationReason.PrimaryChanged, 2L, NOW, null, null, NOW))
        .confirmations(new Confirmations(List.of(), List.of(), true)).build());
    assertThat(plan.active()).isEqualTo(1L);
    assertThat(plan.phase().phaseEndsAt()).isEqualTo(NOW.plus(DELAY));
    assertThat(plan.wakeAt()).contains(NOW.plus(DELAY));
  }

  @Test
  void aConfirmingMemberSilentPastTheTimeoutIsNamedInAWarningAndTheRotationGoesOn() {
    Phase since = new Phase(RotationPhase.PublishingTrust, RotationReason.PrimaryChanged, 2L, NOW, null, null, NOW);
    Plan before = RotationPlanner.plan(publishing().phase(since).now(NOW.plus(TIMEOUT).minusSeconds(1))
        .confirmations(confirming(List.of("m4"), List.of())).build());
    assertThat(before.active()).isEqualTo(1L);
    assertThat(before.wakeAt()).contains(NOW.plus(TIMEOUT));

    Plan after = RotationPlanner.plan(publishing().phase(since).now(NOW.plus(TIMEOUT))
        .confirmations(confirming(List.of("m4"), List.of())).build());
    assertThat(after.active()).isEqualTo(2L);
    assertThat(after.events()).extracting(RotationPlanner.Step::kind)
        .containsExactly(StepKind.ConfirmationTimedOut, StepKind.Resigning);
    assertThat(after.events().get(0).message()).contains("m4").contains("trust CA generation 2").contains("3m");
  }

  @Test
  void retiringDropsTheOldCaWhenEveryConfirmingMemberServesItsNewCertificateNotAfterTheOverlap() {
    Plan retiring = RotationPlanner.plan(resigned().confirmations(confirming(List.of(), List.of("m2"))).build());
    assertThat(retiring.phase().phase()).isEqualTo(RotationPhase.Retiring);
    assertThat(retiring.phase().waitingSince()).isEqualTo(NOW);
    assertThat(retiring.phase().phaseEndsAt()).isEqualTo(NOW.plus(TIMEOUT));
    assertThat(retiring.waitingFor()).containsExactly("m2");

    Plan still = RotationPlanner.plan(resigned().phase(retiring.phase()).now(NOW.plusSeconds(40))
        .confirmations(confirming(List.of(), List.of("m2"))).build());
    assertThat(still.trusted()).containsExactly(1L, 2L);

    Plan done = RotationPlanner.plan(resigned().phase(retiring.phase()).now(NOW.plusSeconds(41))
        .confirmations(confirming(List.of(), List.of())).build());
    assertThat(done.phase().phase()).isEqualTo(RotationPhase.Idle);
    assertThat(done.trusted()).containsExactly(2L);
    assertThat(done.delete()).containsExactly(1L);
    assertThat(done.events()).extracting(RotationPlanner.Step::kind).containsExactly(StepKind.RotationComplete);
  }

  @Test
  void withAMemberThatNeverConfirmsRetiringKeepsTheWholeOverlap() {
    Plan retiring = RotationPlanner.plan(resigned().confirmations(new Confirmations(List.of(), List.of(), true))
        .build());
    assertThat(retiring.phase().phaseEndsAt()).isEqualTo(NOW.plus(OVERLAP));
    Plan early = RotationPlanner.plan(resigned().phase(retiring.phase()).now(NOW.plus(TIMEOUT))
        .confirmations(new Confirmations(List.of(), List.of(), true)).build());
    assertThat(early.trusted()).containsExactly(1L, 2L);
  }

  @Test
  void aShortOverlapBoundsTheWaitForAMemberThatDoesNotServeItsNewCertificate() {
    FactsBuilder shortOverlap = resigned().overlap(Duration.ofMinutes(1))
        .confirmations(confirming(List.of(), List.of("m2")));
    Plan retiring = RotationPlanner.plan(shortOverlap.build());
    assertThat(retiring.phase().phaseEndsAt()).isEqualTo(NOW.plus(Duration.ofMinutes(1)));
    Plan done = RotationPlanner.plan(shortOverlap.phase(retiring.phase()).now(NOW.plus(Duration.ofMinutes(1))).build());
    assertThat(done.trusted()).containsExactly(2L);
    assertThat(done.events()).extracting(RotationPlanner.Step::kind)
        .containsExactly(StepKind.ConfirmationTimedOut, StepKind.RotationComplete);
  }

  @Test
  void aRotationStatusWrittenBeforeConfirmationsExistedResumesWithTheWaitItRecorded() {
    // phaseEndsAt without waitingSince: the wait began phaseEndsAt - trustPropagationDelay ago
    Phase old = new Phase(RotationPhase.PublishingTrust, RotationReason.PrimaryChanged, 2L, NOW, NOW.plus(DELAY), null);
    Plan plan = RotationPlanner.plan(publishing().phase(old).now(NOW.plusSeconds(5)).build());
    assertThat(plan.phase().waitingSince()).isEqualTo(NOW);
    assertThat(plan.phase().phaseEndsAt()).isEqualTo(NOW.plus(DELAY));
    assertThat(plan.active()).isEqualTo(1L);
  }
}
