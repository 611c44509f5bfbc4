package io.arraypki.operator.reconciler;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** An idle array of five members on generation 1 of primary "a", to vary per test. */
final class FactsBuilder {
  private long active = 1;
  private String activePrimary = "a";
  private List<Long> trusted = List.of(1L);
  private RotationPlanner.Phase phase = RotationPlanner.Phase.IDLE;
  private Map<Long, String> generations = Map.of(1L, "a");
  private String desiredPrimary = "a";
  private boolean primaryOk = true;
  private String renewCaToken;
  private String handledCaToken;
  private Instant caRenewalTime = Instant.parse("2026-11-22T12:00:00Z").plus(Duration.ofDays(300));
  private Instant caPreparationTime;
  private String caRenewalOutsideWindow;
  private int participants = 5;
  private int trustingPending;
  private int onActive = 5;
  private Set<Long> withLeaves = Set.of(1L);
  private long highestSeen = 0;
  private Instant now = Instant.parse("2026-11-22T12:00:00Z");

  FactsBuilder active(long generation, String primary) {
    active = generation;
    activePrimary = primary;
    return this;
  }

  FactsBuilder trusted(List<Long> v) {
    trusted = v;
    return this;
  }

  FactsBuilder phase(RotationPlanner.Phase v) {
    phase = v;
    return this;
  }

  FactsBuilder generations(Map<Long, String> v) {
    generations = v;
    return this;
  }

  FactsBuilder desiredPrimary(String v) {
    desiredPrimary = v;
    return this;
  }

  FactsBuilder primaryOk(boolean v) {
    primaryOk = v;
    return this;
  }

  FactsBuilder renewCaToken(String v) {
    renewCaToken = v;
    return this;
  }

  FactsBuilder handledCaToken(String v) {
    handledCaToken = v;
    return this;
  }

  FactsBuilder caRenewalTime(Instant v) {
    caRenewalTime = v;
    return this;
  }

  FactsBuilder caPreparationTime(Instant v) {
    caPreparationTime = v;
    return this;
  }

  FactsBuilder caRenewalOutsideWindow(String v) {
    caRenewalOutsideWindow = v;
    return this;
  }

  FactsBuilder participants(int v) {
    participants = v;
    return this;
  }

  FactsBuilder trustingPending(int v) {
    trustingPending = v;
    return this;
  }

  FactsBuilder onActive(int v) {
    onActive = v;
    return this;
  }

  FactsBuilder highestSeen(long v) {
    highestSeen = v;
    return this;
  }

  FactsBuilder withLeaves(Set<Long> v) {
    withLeaves = v;
    return this;
  }

  FactsBuilder now(Instant v) {
    now = v;
    return this;
  }

  private RotationPlanner.Confirmations confirmations = RotationPlanner.Confirmations.NONE;
  private Duration overlap = Duration.ofHours(1);

  FactsBuilder overlap(Duration v) {
    overlap = v;
    return this;
  }

  /** What the members that confirm have loaded (default: nobody confirms). */
  FactsBuilder confirmations(RotationPlanner.Confirmations v) {
    confirmations = v;
    return this;
  }

  RotationPlanner.Facts build() {
    return new RotationPlanner.Facts(active, activePrimary, trusted, phase, generations, desiredPrimary, primaryOk, false, false,
        renewCaToken, handledCaToken, caRenewalTime, caPreparationTime, caRenewalOutsideWindow, participants, trustingPending, onActive, withLeaves, highestSeen,
        Duration.ofSeconds(30), overlap, confirmations, Duration.ofMinutes(3), now);
  }
}
