package io.arraypki.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ClusterArraySpec;
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

/** More rows of DESIGN.md section 6 (and the CA rows of section 3) the rotation planner decides, at fixed instants. */
class RotationPlannerRowsTest {
  private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  private static final Duration DELAY = Duration.ofSeconds(30);

  @Test
  void aCaNearExpiryIsRenewedLikeARotationItsNextCaPublishedBeforeItSigns() {
    FactsBuilder aging = new FactsBuilder().caRenewalTime(NOW);
    Plan started = RotationPlanner.plan(aging.build());
    assertThat(started.create().orElseThrow().reason()).isEqualTo(RotationReason.Renewal);
    assertThat(started.create().orElseThrow().generation()).isEqualTo(2L);
    assertThat(started.phase().phase()).isEqualTo(RotationPhase.PublishingTrust);
    assertThat(started.phase().reason()).isEqualTo(RotationReason.Renewal);
    assertThat(started.active()).as("the old CA signs until the new one is trusted everywhere").isEqualTo(1L);
    assertThat(started.trusted()).containsExactly(1L, 2L);

    FactsBuilder publishing = aging.generations(Map.of(1L, "a", 2L, "a")).trusted(List.of(1L, 2L))
        .phase(started.phase()).trustingPending(5);
    Plan delay = RotationPlanner.plan(publishing.build());
    assertThat(delay.active()).isEqualTo(1L);
    Plan activated = RotationPlanner.plan(publishing.phase(delay.phase()).now(NOW.plus(DELAY)).build());
    assertThat(activated.active()).isEqualTo(2L);
    assertThat(activated.activePrimary()).isEqualTo("a");
    assertThat(activated.phase().phase()).isEqualTo(RotationPhase.Resigning);
  }

  @Test
  void aCaNotYetAtItsRenewalTimeIsKeptAndTheRenewalTimeIsTheWakeUp() {
    Instant renewal = NOW.plus(Duration.ofDays(10));
    Plan plan = RotationPlanner.plan(new FactsBuilder().caRenewalTime(renewal).now(renewal.minusSeconds(1)).build());
    assertThat(plan.create()).isEmpty();
    assertThat(plan.wakeAt()).contains(renewal);
  }

  @Test
  void aSecondPrimaryChangeWhileResigningSupersedesTheFirstWithoutDroppingCasLeavesUse() {
    FactsBuilder resigning = new FactsBuilder().active(2L, "b").desiredPrimary("c")
        .generations(Map.of(1L, "a", 2L, "b")).trusted(List.of(1L, 2L)).withLeaves(Set.of(1L, 2L)).onActive(3)
        .phase(new Phase(RotationPhase.Resigning, RotationReason.PrimaryChanged, 2L, NOW, null, null));
    Plan plan = RotationPlanner.plan(resigning.build());
    assertThat(plan.create().orElseThrow().primary()).isEqualTo("c");
    assertThat(plan.create().orElseThrow().generation()).isEqualTo(3L);
    assertThat(plan.phase().phase()).isEqualTo(RotationPhase.PublishingTrust);
    assertThat(plan.trusted()).containsExactly(1L, 2L, 3L).hasSizeLessThanOrEqualTo(RotationPlanner.MAX_TRUSTED);
    assertThat(plan.delete()).isEmpty();
  }

  @Test
  void publishingTrustWaitsTheFullPropagationDelayEvenWhenEveryMemberHasTheBundle() {
    FactsBuilder publishing = new FactsBuilder().desiredPrimary("b").generations(Map.of(1L, "a", 2L, "b"))
        .trusted(List.of(1L, 2L)).trustingPending(5)
        .phase(new Phase(RotationPhase.PublishingTrust, RotationReason.PrimaryChanged, 2L, NOW, null, null));
    Plan delay = RotationPlanner.plan(publishing.build());
    Plan early = RotationPlanner.plan(publishing.phase(delay.phase()).now(NOW.plus(DELAY).minusSeconds(1)).build());
    assertThat(early.active()).isEqualTo(1L);
    assertThat(early.phase().phase()).isEqualTo(RotationPhase.PublishingTrust);
  }

  @Test
  void eachCaGenerationsSubjectNamesItsGeneration() {
    ArraySettings settings = ArraySettings.of(new ClusterArraySpec());
    assertThat(settings.caSubject("sgd", 1).commonName()).isEqualTo("sgd CA g1");
    assertThat(settings.caSubject("sgd", 2).commonName()).isEqualTo("sgd CA g2");
  }
}
