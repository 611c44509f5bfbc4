package io.arraypki.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.api.RotationReason;
import io.arraypki.operator.reconciler.RotationPlanner.Phase;
import io.arraypki.operator.reconciler.RotationPlanner.Plan;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RotationPlannerTest {
  private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  private static final Duration DELAY = Duration.ofSeconds(30);
  private static final Duration OVERLAP = Duration.ofHours(1);

  /** An array of 5 members on generation 1 of primary "a", asked to have primary "a". */
  private static FactsBuilder idle() {
    return new FactsBuilder();
  }

  @Test
  void nothingHappensWhenPrimaryTokenAndCaAgeAreAsTheyWere() {
    Plan plan = RotationPlanner.plan(idle().build());
    assertThat(plan.create()).isEmpty();
    assertThat(plan.phase().phase()).isEqualTo(RotationPhase.Idle);
    assertThat(plan.trusted()).containsExactly(1L);
    assertThat(plan.wakeAt()).contains(NOW.plus(Duration.ofDays(300)));
    assertThat(plan.events()).isEmpty();
  }

  @Test
  void aNewPrimaryStartsPublishingTrustWithANewGenerationForIt() {
    Plan plan = RotationPlanner.plan(idle().desiredPrimary("b").build());
    assertThat(plan.create()).hasValueSatisfying(g -> {
      assertThat(g.generation()).isEqualTo(2L);
      assertThat(g.primary()).isEqualTo("b");
      assertThat(g.reason()).isEqualTo(RotationReason.PrimaryChanged);
    });
    assertThat(plan.trusted()).containsExactly(1L, 2L);
    assertThat(plan.active()).isEqualTo(1L);
    assertThat(plan.phase().phase()).isEqualTo(RotationPhase.PublishingTrust);
    assertThat(plan.events()).extracting(RotationPlanner.Step::kind)
        .containsExactly(RotationPlanner.StepKind.PublishingTrust);
  }

  @Test
  void anUnhandledRenewCaTokenStartsARequestedRotationAndIsRecordedAsHandled() {
    Plan plan = RotationPlanner.plan(idle().renewCaToken("t1").build());
    assertThat(plan.create().orElseThrow().reason()).isEqualTo(RotationReason.Requested);
    assertThat(plan.handledCaToken()).isEqualTo("t1");
    assertThat(RotationPlanner.plan(idle().renewCaToken("t1").handledCaToken("t1").build()).create()).isEmpty();
  }

  @Test
  void aCaPastItsRenewalTimeStartsARenewal() {
    Plan plan = RotationPlanner.plan(idle().caRenewalTime(NOW.minusSeconds(1)).build());
    assertThat(plan.create().orElseThrow().reason()).isEqualTo(RotationReason.Renewal);
    assertThat(plan.create().orElseThrow().primary()).isEqualTo("a");
  }

  @Test
  void anInvalidPrimaryStartsNothing() {
    assertThat(RotationPlanner.plan(idle().desiredPrimary("b").primaryOk(false).build()).create()).isEmpty();
  }

  @Test
  void aNewPrimaryFoundUnfitWhilePublishingHasItsCaDroppedBeforeItSigns() {
    // the rotation began on a cache that did not yet show the new primary marked not master-capable
    FactsBuilder publishing = idle().desiredPrimary("b").generations(Map.of(1L, "a", 2L, "b"))
        .trusted(List.of(1L, 2L)).trustingPending(5).phase(new Phase(RotationPhase.PublishingTrust,
            RotationReason.PrimaryChanged, 2L, NOW, NOW.plus(DELAY), null, NOW));
    Plan plan = RotationPlanner.plan(publishing.primaryOk(false).now(NOW.plus(DELAY)).build());
    assertThat(plan.phase().phase()).isEqualTo(RotationPhase.Idle);
    assertThat(plan.active()).isEqualTo(1L);
    assertThat(plan.activePrimary()).isEqualTo("a");
    assertThat(plan.trusted()).containsExactly(1L);
    assertThat(plan.delete()).containsExactly(2L);
    assertThat(plan.events()).singleElement().satisfies(e -> {
      assertThat(e.kind()).isEqualTo(RotationPlanner.StepKind.RotationAbandoned);
      assertThat(e.message()).contains("primary b cannot act as the CA").contains("generation 2 dropped");
    });
    // the same facts with a fit primary activate: the check above is what holds it back
    assertThat(RotationPlanner.plan(publishing.primaryOk(true).now(NOW.plus(DELAY)).build()).active()).isEqualTo(2L);
  }

  @Test
  void aRenewalsPendingCaWaitsWhileItsPrimaryCannotActAndActivatesWhenItCan() {
    FactsBuilder publishing = idle().generations(Map.of(1L, "a", 2L, "a")).trusted(List.of(1L, 2L))
        .trustingPending(5).phase(new Phase(RotationPhase.PublishingTrust, RotationReason.Requested, 2L, NOW,
            NOW.plus(DELAY), null, NOW)).now(NOW.plus(DELAY));
    Plan held = RotationPlanner.plan(publishing.primaryOk(false).build());
    assertThat(held.phase().phase()).isEqualTo(RotationPhase.PublishingTrust);
    assertThat(held.active()).isEqualTo(1L);
    assertThat(held.delete()).isEmpty();
    assertThat(held.trusted()).containsExactly(1L, 2L);
    assertThat(RotationPlanner.plan(publishing.primaryOk(true).build()).active()).isEqualTo(2L);
  }

  @Test
  void publishingWaitsForEveryMemberToTrustTheNewCaThenForThePropagationDelay() {
    FactsBuilder publishing = idle().desiredPrimary("b").generations(Map.of(1L, "a", 2L, "b"))
        .trusted(List.of(1L, 2L)).phase(new Phase(RotationPhase.PublishingTrust, RotationReason.PrimaryChanged, 2L,
            NOW, null, null));
    Plan waiting = RotationPlanner.plan(publishing.trustingPending(4).build());
    assertThat(waiting.phase().phaseEndsAt()).isNull();
    assertThat(waiting.active()).isEqualTo(1L);

    Plan delay = RotationPlanner.plan(publishing.trustingPending(5).build());
    assertThat(delay.phase().phaseEndsAt()).isEqualTo(NOW.plus(DELAY));
    assertThat(delay.wakeAt()).contains(NOW.plus(DELAY));
    assertThat(delay.active()).isEqualTo(1L);

    Plan activated = RotationPlanner.plan(publishing.trustingPending(5)
        .phase(delay.phase()).now(NOW.plus(DELAY)).build());
    assertThat(activated.active()).isEqualTo(2L);
    assertThat(activated.activePrimary()).isEqualTo("b");
    assertThat(activated.phase().phase()).isEqualTo(RotationPhase.Resigning);
    assertThat(activated.trusted()).containsExactly(1L, 2L);
  }

  @Test
  void resigningEndsWhenEveryMemberIsOnTheNewCaAndRetiringKeepsTheOldCaForTheOverlap() {
    FactsBuilder resigning = idle().active(2L, "b").desiredPrimary("b").generations(Map.of(1L, "a", 2L, "b"))
        .trusted(List.of(1L, 2L)).phase(new Phase(RotationPhase.Resigning, RotationReason.PrimaryChanged, 2L, NOW,
            null, null));
    assertThat(RotationPlanner.plan(resigning.onActive(3).withLeaves(Set.of(1L, 2L)).build()).phase().phase())
        .isEqualTo(RotationPhase.Resigning);
    Plan retiring = RotationPlanner.plan(resigning.onActive(5).withLeaves(Set.of(2L)).build());
    assertThat(retiring.phase().phase()).isEqualTo(RotationPhase.Retiring);
    assertThat(retiring.phase().phaseEndsAt()).isEqualTo(NOW.plus(OVERLAP));
    assertThat(retiring.trusted()).containsExactly(1L, 2L);

    Plan stillRetiring = RotationPlanner.plan(resigning.phase(retiring.phase()).now(NOW.plus(Duration.ofMinutes(59))).build());
    assertThat(stillRetiring.trusted()).containsExactly(1L, 2L);
    Plan done = RotationPlanner.plan(resigning.phase(retiring.phase()).now(NOW.plus(OVERLAP)).build());
    assertThat(done.phase().phase()).isEqualTo(RotationPhase.Idle);
    assertThat(done.trusted()).containsExactly(2L);
    assertThat(done.delete()).containsExactly(1L);
  }

  @Test
  void anOldCaKeptTrustedByALeafThatWasReSignedInTheSameMomentRetiresAfterTheOverlapOnceNoLeafUsesIt() {
    // Retiring ended while the cache still showed a client leaf of generation 1, re-signed in
    // that moment: the rotation went Idle with generation 1 still trusted (a CI run saw it stay
    // so for eight minutes, with nothing to retire it)
    FactsBuilder retiring = idle().active(2L, "b").desiredPrimary("b").generations(Map.of(1L, "a", 2L, "b"))
        .trusted(List.of(1L, 2L)).onActive(5).phase(new Phase(RotationPhase.Retiring, RotationReason.PrimaryChanged,
            2L, NOW, NOW, null, NOW));
    Plan ended = RotationPlanner.plan(retiring.withLeaves(Set.of(1L, 2L)).now(NOW.plus(OVERLAP)).build());
    assertThat(ended.phase().phase()).isEqualTo(RotationPhase.Idle);
    assertThat(ended.trusted()).containsExactly(1L, 2L);

    // Idle, and the cache now shows every leaf on generation 2: generation 1 retires, after the overlap
    FactsBuilder idleWithLeaflessCa = idle().active(2L, "b").desiredPrimary("b")
        .generations(Map.of(1L, "a", 2L, "b")).trusted(ended.trusted()).onActive(5).withLeaves(Set.of(2L));
    Plan resumed = RotationPlanner.plan(idleWithLeaflessCa.build());
    assertThat(resumed.phase().phase()).isEqualTo(RotationPhase.Retiring);
    assertThat(resumed.phase().reason()).isEqualTo(RotationReason.Resumed);
    assertThat(resumed.phase().phaseEndsAt()).isEqualTo(NOW.plus(OVERLAP));
    assertThat(resumed.wakeAt()).contains(NOW.plus(OVERLAP));
    assertThat(resumed.trusted()).containsExactly(1L, 2L);
    assertThat(resumed.delete()).isEmpty();

    Plan done = RotationPlanner.plan(idleWithLeaflessCa.phase(resumed.phase()).now(NOW.plus(OVERLAP)).build());
    assertThat(done.phase().phase()).isEqualTo(RotationPhase.Idle);
    assertThat(done.trusted()).containsExactly(2L);
    assertThat(done.delete()).containsExactly(1L);
    assertThat(done.events()).extracting(RotationPlanner.Step::kind)
        .containsExactly(RotationPlanner.StepKind.RotationComplete);
    // and once only the signing CA is trusted, Idle stays Idle
    assertThat(RotationPlanner.plan(idleWithLeaflessCa.trusted(done.trusted()).phase(done.phase()).build())
        .phase().phase()).isEqualTo(RotationPhase.Idle);
  }

  @Test
  void aNewerPrimaryChangeSupersedesTheOneStillPublishing() {
    Plan plan = RotationPlanner.plan(idle().desiredPrimary("c").generations(Map.of(1L, "a", 2L, "b"))
        .trusted(List.of(1L, 2L)).phase(new Phase(RotationPhase.PublishingTrust, RotationReason.PrimaryChanged, 2L,
            NOW, null, null)).build());
    assertThat(plan.delete()).containsExactly(2L);
    assertThat(plan.create().orElseThrow().generation()).isEqualTo(3L);
    assertThat(plan.create().orElseThrow().primary()).isEqualTo("c");
    assertThat(plan.trusted()).containsExactly(1L, 3L);
  }

  @Test
  void changingBackToTheSigningPrimaryAbandonsThePendingGeneration() {
    Plan plan = RotationPlanner.plan(idle().generations(Map.of(1L, "a", 2L, "b")).trusted(List.of(1L, 2L))
        .phase(new Phase(RotationPhase.PublishingTrust, RotationReason.PrimaryChanged, 2L, NOW, null, null)).build());
    assertThat(plan.create()).isEmpty();
    assertThat(plan.delete()).containsExactly(2L);
    assertThat(plan.trusted()).containsExactly(1L);
    assertThat(plan.phase().phase()).isEqualTo(RotationPhase.Idle);
  }

  @Test
  void neverMoreThanThreeCasAreTrusted() {
    // Resigning to 2 while members still hold 1 and 2; a change to "c" makes 3 trusted.
    FactsBuilder busy = idle().active(2L, "b").desiredPrimary("c").generations(Map.of(1L, "a", 2L, "b"))
        .trusted(List.of(1L, 2L)).withLeaves(Set.of(1L, 2L)).onActive(2)
        .phase(new Phase(RotationPhase.Resigning, RotationReason.PrimaryChanged, 2L, NOW, null, null));
    Plan third = RotationPlanner.plan(busy.build());
    assertThat(third.trusted()).containsExactly(1L, 2L, 3L);
    // Resigning to 3 while members hold 1, 2 and 3; a change to "d" must wait.
    FactsBuilder full = idle().active(3L, "c").desiredPrimary("d").generations(Map.of(1L, "a", 2L, "b", 3L, "c"))
        .trusted(List.of(1L, 2L, 3L)).withLeaves(Set.of(1L, 2L, 3L)).onActive(1)
        .phase(new Phase(RotationPhase.Resigning, RotationReason.PrimaryChanged, 3L, NOW, null, null));
    Plan waits = RotationPlanner.plan(full.build());
    assertThat(waits.create()).isEmpty();
    assertThat(waits.trusted()).containsExactly(1L, 2L, 3L);
    // Once no member holds a certificate of 1 or 2, they make room.
    // Once members left 1 and 2, the oldest makes room; 2 keeps what is left of its overlap.
    Plan room = RotationPlanner.plan(full.withLeaves(Set.of(3L)).build());
    assertThat(room.trusted()).containsExactly(2L, 3L, 4L);
    assertThat(room.delete()).containsExactly(1L);
  }

  @Test
  void aGenerationCreatedBeforeALostStatusWriteIsAdoptedNotMadeTwice() {
    Plan plan = RotationPlanner.plan(idle().desiredPrimary("b").generations(Map.of(1L, "a", 2L, "b")).build());
    assertThat(plan.create()).isEmpty();
    assertThat(plan.trusted()).containsExactly(1L, 2L);
    assertThat(plan.phase().toGeneration()).isEqualTo(2L);
    assertThat(plan.delete()).isEmpty();
  }

  /** Issue 13 bug 3: objects restored without their status in the middle of a rotation. */
  @Test
  void aLostStatusMidRotationNeitherDropsNorDeletesTheCaLeavesAreStillSignedBy() {
    Plan plan = RotationPlanner.plan(idle().active(2, "b").desiredPrimary("b").trusted(List.of(2L))
        .generations(Map.of(1L, "a", 2L, "b")).withLeaves(Set.of(1L, 2L)).onActive(3).build());
    assertThat(plan.delete()).doesNotContain(1L);
    assertThat(plan.trusted()).containsExactly(1L, 2L);
    assertThat(plan.phase().phase()).isEqualTo(RotationPhase.Resigning);
    assertThat(plan.phase().reason()).isEqualTo(RotationReason.Resumed);
    assertThat(plan.create()).isEmpty();
  }

  @Test
  void aResumedRotationRetiresTheOldCaOnlyAfterTheOverlapOnceNoLeafUsesIt() {
    Plan resumed = RotationPlanner.plan(idle().active(2, "b").desiredPrimary("b").trusted(List.of(2L))
        .generations(Map.of(1L, "a", 2L, "b")).withLeaves(Set.of(1L, 2L)).onActive(3).build());
    Plan retiring = RotationPlanner.plan(idle().active(2, "b").desiredPrimary("b").trusted(resumed.trusted())
        .phase(resumed.phase()).generations(Map.of(1L, "a", 2L, "b")).withLeaves(Set.of(2L)).build());
    assertThat(retiring.phase().phase()).isEqualTo(RotationPhase.Retiring);
    assertThat(retiring.trusted()).containsExactly(1L, 2L);
    assertThat(retiring.delete()).isEmpty();
    Plan done = RotationPlanner.plan(idle().active(2, "b").desiredPrimary("b").trusted(retiring.trusted())
        .phase(retiring.phase()).generations(Map.of(1L, "a", 2L, "b")).withLeaves(Set.of(2L))
        .now(retiring.phase().phaseEndsAt()).build());
    assertThat(done.phase().phase()).isEqualTo(RotationPhase.Idle);
    assertThat(done.trusted()).containsExactly(2L);
    assertThat(done.delete()).containsExactly(1L);
  }

  @Test
  void aRetirementKeepsAGenerationALeafIsStillSignedBy() {
    Plan plan = RotationPlanner.plan(idle().active(2, "b").desiredPrimary("b").trusted(List.of(1L, 2L))
        .phase(new Phase(RotationPhase.Retiring, RotationReason.PrimaryChanged, 2L, NOW, NOW, null))
        .generations(Map.of(1L, "a", 2L, "b")).withLeaves(Set.of(1L, 2L)).build());
    assertThat(plan.delete()).doesNotContain(1L);
    assertThat(plan.trusted()).contains(1L);
  }

  /** Issue 13 bug 4: generation numbers only go up. */
  @Test
  void aNewGenerationIsNumberedAboveEveryGenerationAnythingRemembers() {
    Plan plan = RotationPlanner.plan(idle().desiredPrimary("b").highestSeen(4).build());
    assertThat(plan.create()).hasValueSatisfying(g -> assertThat(g.generation()).isEqualTo(5L));
  }
}
