package io.arraypki.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.api.RotationReason;
import io.arraypki.operator.reconciler.RotationPlanner.Phase;
import io.arraypki.operator.reconciler.RotationPlanner.Plan;
import io.arraypki.operator.reconciler.RotationPlanner.StepKind;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The next CA, prepared (DESIGN.md section 6): a time-based renewal publishes its CA in every
 * bundle at its preparation time, waits Prepared until its activation time, and then signs
 * without any trust wait; requested work and a new primary are never held by it.
 */
class PreparedCaPlannerTest {
  private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  private static final Instant ACTIVATION = NOW.plus(Duration.ofDays(10));

  /** Generation 1 of primary "a", five members, its renewal activating in ten days and prepared from now on. */
  private static FactsBuilder dueForPreparation() {
    return new FactsBuilder().caRenewalTime(ACTIVATION).caPreparationTime(NOW.minusSeconds(1));
  }

  /** Generation 2 prepared: in every bundle and every Secret. */
  private static FactsBuilder prepared() {
    return dueForPreparation().generations(Map.of(1L, "a", 2L, "a")).trusted(List.of(1L, 2L)).trustingPending(5)
        .phase(new Phase(RotationPhase.Prepared, RotationReason.Renewal, 2L, NOW.minus(Duration.ofDays(1)),
            ACTIVATION, null));
  }

  @Test
  void thePreparationTimeStartsPublishingTheNextCaLongBeforeItsActivation() {
    Plan plan = RotationPlanner.plan(dueForPreparation().build());
    assertThat(plan.create()).hasValueSatisfying(g -> {
      assertThat(g.generation()).isEqualTo(2L);
      assertThat(g.reason()).isEqualTo(RotationReason.Renewal);
    });
    assertThat(plan.phase().phase()).isEqualTo(RotationPhase.PublishingTrust);
    assertThat(plan.active()).isEqualTo(1L);
    assertThat(plan.trusted()).containsExactly(1L, 2L);
  }

  @Test
  void beforeItsPreparationTimeNothingStartsAndTheArrayWakesAtIt() {
    Instant preparation = NOW.plus(Duration.ofDays(2));
    Plan plan = RotationPlanner.plan(dueForPreparation().caPreparationTime(preparation).build());
    assertThat(plan.create()).isEmpty();
    assertThat(plan.phase().phase()).isEqualTo(RotationPhase.Idle);
    assertThat(plan.wakeAt()).contains(preparation);
  }

  @Test
  void onceTrustHasPropagatedTheRenewalWaitsPreparedUntilItsActivationTime() {
    FactsBuilder publishing = dueForPreparation().generations(Map.of(1L, "a", 2L, "a")).trusted(List.of(1L, 2L))
        .trustingPending(5).phase(new Phase(RotationPhase.PublishingTrust, RotationReason.Renewal, 2L,
            NOW.minusSeconds(60), null, null, NOW.minusSeconds(60)));
    Plan plan = RotationPlanner.plan(publishing.build());
    assertThat(plan.phase().phase()).isEqualTo(RotationPhase.Prepared);
    assertThat(plan.phase().phaseEndsAt()).isEqualTo(ACTIVATION);
    assertThat(plan.active()).as("the old CA still signs").isEqualTo(1L);
    assertThat(plan.wakeAt()).contains(ACTIVATION);
    assertThat(plan.events()).extracting(RotationPlanner.Step::kind).containsExactly(StepKind.Prepared);
  }

  @Test
  void aPreparedCaWaitsWithoutWritingAnythingUntilItsActivationTime() {
    Plan plan = RotationPlanner.plan(prepared().now(ACTIVATION.minusSeconds(1)).build());
    assertThat(plan.phase().phase()).isEqualTo(RotationPhase.Prepared);
    assertThat(plan.active()).isEqualTo(1L);
    assertThat(plan.create()).isEmpty();
    assertThat(plan.delete()).isEmpty();
    assertThat(plan.events()).isEmpty();
  }

  @Test
  void atItsActivationTimeThePreparedCaSignsAtOnceWithNoTrustWait() {
    Plan plan = RotationPlanner.plan(prepared().now(ACTIVATION).build());
    assertThat(plan.phase().phase()).isEqualTo(RotationPhase.Resigning);
    assertThat(plan.active()).isEqualTo(2L);
    assertThat(plan.create()).as("no new generation: the prepared one signs").isEmpty();
    assertThat(plan.trusted()).containsExactly(1L, 2L);
    assertThat(plan.events()).extracting(RotationPlanner.Step::kind).containsExactly(StepKind.Resigning);
  }

  @Test
  void anActivationOutsideEveryWindowIsToldInAWarningStep() {
    Plan plan = RotationPlanner.plan(prepared().now(ACTIVATION)
        .caRenewalOutsideWindow("no renewal window opens before the last safe moment").build());
    assertThat(plan.active()).isEqualTo(2L);
    assertThat(plan.events()).extracting(RotationPlanner.Step::kind)
        .containsExactly(StepKind.RenewalOutsideWindow, StepKind.Resigning);
  }

  @Test
  void aRenewCaRequestDropsThePreparedCaForAFreshOneAndIsRecordedAsHandled() {
    // renew-ca answers a suspected compromise: the key prepared months ago beside the active one is no answer
    Plan plan = RotationPlanner.plan(prepared().renewCaToken("t1").highestSeen(2).build());
    assertThat(plan.phase().phase()).isEqualTo(RotationPhase.PublishingTrust);
    assertThat(plan.phase().reason()).isEqualTo(RotationReason.Requested);
    assertThat(plan.delete()).containsExactly(2L);
    assertThat(plan.create()).hasValueSatisfying(g -> assertThat(g.generation()).isEqualTo(3L));
    assertThat(plan.trusted()).containsExactly(1L, 3L);
    assertThat(plan.handledCaToken()).isEqualTo("t1");
  }

  @Test
  void aNewPrimaryDropsThePreparedCaAndPublishesItsOwnNeverTrustingThree() {
    Plan plan = RotationPlanner.plan(prepared().desiredPrimary("b").build());
    assertThat(plan.delete()).containsExactly(2L);
    assertThat(plan.create()).hasValueSatisfying(g -> {
      assertThat(g.generation()).isEqualTo(3L);
      assertThat(g.primary()).isEqualTo("b");
      assertThat(g.reason()).isEqualTo(RotationReason.PrimaryChanged);
    });
    assertThat(plan.trusted()).containsExactly(1L, 3L);
    assertThat(plan.phase().phase()).isEqualTo(RotationPhase.PublishingTrust);
  }

  @Test
  void aMemberJoiningAPreparedArrayIsGivenThePreparedCaBeforeItCanActivate() {
    Plan plan = RotationPlanner.plan(prepared().participants(6).trustingPending(5).now(ACTIVATION).build());
    assertThat(plan.phase().phase()).isEqualTo(RotationPhase.PublishingTrust);
    assertThat(plan.active()).isEqualTo(1L);

    // and once its Secret holds it (and the propagation wait is over), it activates
    Plan later = RotationPlanner.plan(prepared().participants(6).trustingPending(6)
        .phase(plan.phase().waiting(ACTIVATION.minusSeconds(60), null)).now(ACTIVATION).build());
    assertThat(later.phase().phase()).isEqualTo(RotationPhase.Resigning);
    assertThat(later.active()).isEqualTo(2L);
  }

  @Test
  void aRenewalDueWhileTheLastRotationRetiresWaitsUntilItIsOverButANewPrimaryDoesNot() {
    FactsBuilder retiring = new FactsBuilder().active(2, "a").generations(Map.of(1L, "a", 2L, "a"))
        .trusted(List.of(1L, 2L)).withLeaves(java.util.Set.of(2L)).overlap(Duration.ofHours(1))
        .caPreparationTime(NOW.minusSeconds(1)).caRenewalTime(NOW.plus(Duration.ofMinutes(5)))
        .phase(new Phase(RotationPhase.Retiring, RotationReason.Renewal, 2L, NOW.minusSeconds(60),
            NOW.plus(Duration.ofHours(1)), null, NOW.minusSeconds(60)));
    Plan waits = RotationPlanner.plan(retiring.build());
    assertThat(waits.create()).isEmpty();
    assertThat(waits.phase().phase()).isEqualTo(RotationPhase.Retiring);

    Plan superseded = RotationPlanner.plan(retiring.desiredPrimary("b").build());
    assertThat(superseded.create()).hasValueSatisfying(g -> assertThat(g.reason()).isEqualTo(RotationReason.PrimaryChanged));
  }

  @Test
  void aLostPreparedCaSecretIsForgottenAndMadeAgain() {
    // the status remembers generation 2, so the number is not given again
    Plan plan = RotationPlanner.plan(prepared().generations(Map.of(1L, "a")).highestSeen(2).build());
    assertThat(plan.create()).hasValueSatisfying(g -> {
      assertThat(g.reason()).isEqualTo(RotationReason.Renewal);
      assertThat(g.generation()).isEqualTo(3L);
    });
    assertThat(plan.trusted()).containsExactly(1L, 3L);
  }
}
