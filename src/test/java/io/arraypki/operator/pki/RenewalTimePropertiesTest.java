package io.arraypki.operator.pki;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.pki.RenewalTime.CertificateKind;
import io.arraypki.operator.pki.RenewalTime.Kind;
import io.arraypki.operator.pki.RenewalWindows.Spec;
import io.arraypki.operator.pki.RenewalWindows.Window;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;

/**
 * Properties of {@link RenewalTime} and {@link RenewalWindows} over generated windows (every N
 * minutes, daily, weekly, monthly, on February 29th, in zones with DST of an hour and of half an
 * hour, without DST, and UTC), certificates and instants from 2024 to 2030, biased towards DST
 * changes and leap days. Each check is a plain static method returning the violation it finds, so
 * that {@link #aDeliberatelyBrokenSchedulerIsCaughtByTheInsideAWindowCheck} can show it failing.
 * Tries are bounded so that the class runs in seconds.
 */
class RenewalTimePropertiesTest {

  /** What decides a renewal time; the real one is {@link RenewalTime#decide}. */
  @FunctionalInterface
  interface Scheduler {
    RenewalTime decide(Instant due, Instant lastSafe, double spread, RenewalWindows windows);
  }

  private static final Scheduler THE_SCHEDULER = RenewalTime::decide;

  private static final List<String> ZONES = List.of(
      "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC", "Pacific/Apia", "");

  private static final Instant FIRST = Instant.parse("2024-01-01T00:00:00Z");
  private static final Instant LAST = Instant.parse("2030-12-31T23:59:59Z");

  /** The DST changes of the zones above from 2024 to 2030, and the leap days. */
  private static final List<Instant> CHANGES = changes();

  private static List<Instant> changes() {
    List<Instant> changes = new ArrayList<>(List.of(
        Instant.parse("2024-02-29T00:00:00Z"), Instant.parse("2028-02-29T00:00:00Z")));
    for (String zone : ZONES) {
      ZoneRules rules = zone.isEmpty() ? ZoneId.of("UTC").getRules() : ZoneId.of(zone).getRules();
      for (ZoneOffsetTransition t = rules.nextTransition(FIRST); t != null && t.getInstant().isBefore(LAST);
          t = rules.nextTransition(t.getInstant())) {
        changes.add(t.getInstant());
      }
    }
    return List.copyOf(changes);
  }

  // ---- the checks ----

  /**
   * (a) An IN_WINDOW time lies in a window ({@link RenewalWindows#windowAtOrAfter} of it starts at
   * or before it) and in the window reported; NO_WINDOWS only without windows; LAST_SAFE_MOMENT
   * only when no window opens between due and the last safe moment.
   */
  static Optional<String> insideAWindowCheck(RenewalWindows windows, Instant due, Instant lastSafe, RenewalTime chosen) {
    return switch (chosen.kind()) {
      case NO_WINDOWS -> windows.isEmpty() ? Optional.empty()
          : Optional.of("NO_WINDOWS although there are windows: " + windows);
      case IN_WINDOW -> {
        Optional<Window> around = windows.windowAtOrAfter(chosen.at());
        if (around.isEmpty() || !around.get().contains(chosen.at())) {
          yield Optional.of(chosen.at() + " is in no window (the next: " + around.orElse(null) + ")");
        }
        if (chosen.window() == null || !chosen.window().contains(chosen.at())) {
          yield Optional.of(chosen.at() + " is not in the window reported, " + chosen.window());
        }
        yield Optional.empty();
      }
      case LAST_SAFE_MOMENT -> {
        Optional<Window> next = windows.windowAtOrAfter(due);
        if (due.isBefore(lastSafe) && next.isPresent() && next.get().start().isBefore(lastSafe)) {
          yield Optional.of("LAST_SAFE_MOMENT although " + next.get() + " opens before " + lastSafe);
        }
        yield Optional.empty();
      }
    };
  }

  /** (b) Never after the last safe moment, never before due inside a window; when already late, at due. */
  static Optional<String> timesCheck(Instant due, Instant lastSafe, RenewalTime chosen) {
    if (!due.isBefore(lastSafe)) {
      return chosen.at().equals(due) ? Optional.empty()
          : Optional.of("due " + due + " not before last safe " + lastSafe + " but renewing at " + chosen.at());
    }
    if (chosen.at().isAfter(lastSafe)) {
      return Optional.of(chosen.at() + " is after the last safe moment " + lastSafe);
    }
    if (chosen.kind() == Kind.IN_WINDOW && chosen.at().isBefore(due)) {
      return Optional.of(chosen.at() + " is in a window but before due " + due);
    }
    return Optional.empty();
  }

  /** (c) The same answer from windows parsed afresh from the same specs. */
  static Optional<String> stabilityCheck(List<Spec> specs, Instant due, Instant lastSafe, double spread, Scheduler scheduler) {
    RenewalTime first = scheduler.decide(due, lastSafe, spread, RenewalWindows.parse(specs));
    RenewalTime second = scheduler.decide(due, lastSafe, spread, RenewalWindows.parse(specs));
    return first.equals(second) ? Optional.empty() : Optional.of(first + " then " + second);
  }

  /**
   * (d) When {@link RenewalTime#unsatisfiable} found the windows fine for a kind (its answer for
   * {@code List.of(kind)} from {@code now} is given, being the costly part), a certificate of
   * it falling due at any instant of the horizon renews inside a window: checked at {@code now},
   * at each probe, and at the end of the window at or after each probe (where waits are longest).
   */
  static Optional<String> satisfiedKindCheck(RenewalWindows windows, Instant now, CertificateKind kind,
      Optional<String> unsatisfiable, List<Instant> probes, Scheduler scheduler) {
    if (unsatisfiable.isPresent()) {
      return Optional.empty();
    }
    Instant end = now.plus(RenewalTime.checkHorizon(List.of(kind)));
    List<Instant> dues = new ArrayList<>(List.of(now));
    for (Instant probe : probes) {
      dues.add(probe);
      windows.windowAtOrAfter(probe).map(Window::end).ifPresent(dues::add);
    }
    // due = notAfter - effective renewBefore, so notBefore = due - (duration - effective renewBefore)
    Duration dueAfterNotBefore = Duration.between(Instant.EPOCH,
        LeafDecision.renewalTime(Instant.EPOCH, Instant.EPOCH.plus(kind.duration()), kind.renewBefore()));
    for (Instant due : dues) {
      if (due.isBefore(now) || !due.isBefore(end)) {
        continue;
      }
      Instant notBefore = due.minus(dueAfterNotBefore);
      Instant notAfter = notBefore.plus(kind.duration());
      Instant lastSafe = RenewalTime.lastSafe(notBefore, notAfter, kind.renewBefore());
      RenewalTime chosen = scheduler.decide(due, lastSafe, 0.5, windows);
      if (chosen.kind() != Kind.IN_WINDOW) {
        return Optional.of("the windows were found fine for " + kind + " from " + now + ", but a certificate due at "
            + due + " got " + chosen);
      }
    }
    return Optional.empty();
  }

  /**
   * (e) The sampled longest wait agrees with the exact sweep for every wait at least its step long
   * and never exceeds it; no probe's own wait exceeds the exact one.
   */
  static Optional<String> longestWaitCheck(RenewalWindows windows, Instant from, Duration horizon, Duration step,
      List<Instant> probes) {
    Duration exact = windows.longestWait(from, horizon, step, Integer.MAX_VALUE);
    Duration sampled = windows.longestWait(from, horizon, step, 0);
    if (sampled.compareTo(exact) > 0 || (exact.compareTo(step) >= 0 && !sampled.equals(exact))) {
      return Optional.of("exact " + exact + ", sampled every " + step + ": " + sampled);
    }
    for (Instant due : probes) {
      Duration wait = windows.windowAtOrAfter(due).map(w -> w.start().isAfter(due) ? Duration.between(due, w.start())
          : Duration.ZERO).orElse(horizon);
      if (wait.compareTo(exact) > 0) {
        return Optional.of("due at " + due + " waits " + wait + ", longer than the longest wait " + exact);
      }
    }
    return Optional.empty();
  }

  // ---- the properties ----

  @Property(tries = 500)
  void aRenewalTimeKeepsTheWindowsOrSaysWhy(
      @ForAll("windowSpecs") List<Spec> specs,
      @ForAll("instants") Instant dueSomewhere,
      @ForAll boolean dueAtAWindowsEnd,
      @ForAll("rooms") Duration room,
      @ForAll("spreads") double spread) {
    RenewalWindows windows = RenewalWindows.parse(specs);
    Instant due = dueAtAWindowsEnd ? windows.windowAtOrAfter(dueSomewhere).map(Window::end).orElse(dueSomewhere)
        : dueSomewhere;
    Instant lastSafe = due.plus(room);
    RenewalTime chosen = THE_SCHEDULER.decide(due, lastSafe, spread, windows);
    Statistics.collect(chosen.kind());

    assertThat(insideAWindowCheck(windows, due, lastSafe, chosen)).isEmpty();
    assertThat(timesCheck(due, lastSafe, chosen)).isEmpty();
    assertThat(stabilityCheck(specs, due, lastSafe, spread, THE_SCHEDULER)).isEmpty();

    Statistics.coverage(coverage -> {
      coverage.check(Kind.IN_WINDOW).percentage((Double p) -> p > 20.0);
      coverage.check(Kind.LAST_SAFE_MOMENT).percentage((Double p) -> p > 5.0);
    });
  }

  @Property(tries = 40)
  void windowsFoundFineForAKindAlwaysLetItsCertificatesRenewInAWindow(
      @ForAll("fewWindowSpecs") List<Spec> specs,
      @ForAll("instants") Instant now,
      @ForAll("roomFactors") double roomFactor,
      @ForAll("lifetimeFactors") double lifetimeFactor,
      @ForAll @Size(8) List<@DoubleRange(min = 0, max = 1, maxIncluded = false) @Scale(6) Double> whereInTheHorizon) {
    RenewalWindows windows = RenewalWindows.parse(specs);
    CertificateKind kind = kindAround(windows, now, roomFactor, lifetimeFactor);
    Duration horizon = RenewalTime.checkHorizon(List.of(kind));
    List<Instant> probes = whereInTheHorizon.stream()
        .map(f -> now.plus(Duration.ofSeconds((long) (f * horizon.getSeconds())))).toList();
    Optional<String> unsatisfiable = RenewalTime.unsatisfiable(windows, now, List.of(kind));
    Statistics.collect(unsatisfiable.isPresent() ? "unsatisfiable" : "fine");

    assertThat(satisfiedKindCheck(windows, now, kind, unsatisfiable, probes, THE_SCHEDULER)).isEmpty();

    Statistics.coverage(coverage -> {
      coverage.check("fine").count((Integer n) -> n > 0);
      coverage.check("unsatisfiable").count((Integer n) -> n > 0);
    });
  }

  /**
   * A kind whose room is roomFactor times the windows' longest wait over the next 40 days (a
   * cheap, rough look), taken as at least 20 minutes: shorter rooms are judged unsatisfiable
   * whenever the windows open too often to be walked one by one. Above 1, lifetimeFactor is the
   * duration over renewBefore; at most 1, it is the other way round, and a third of the duration
   * counts instead of renewBefore.
   */
  private static CertificateKind kindAround(RenewalWindows windows, Instant now, double roomFactor, double lifetimeFactor) {
    Duration roughWait = windows.longestWait(now, Duration.ofDays(40), Duration.ofHours(1));
    long room = (long) (Math.max(roughWait.getSeconds(), 20 * 60) * roomFactor);
    long renewBefore;
    long duration;
    if (lifetimeFactor > 1) {
      renewBefore = room * 3 / 2;
      duration = (long) (renewBefore * lifetimeFactor);
    } else {
      duration = room * 9 / 2;
      renewBefore = (long) (duration / lifetimeFactor);
    }
    return new CertificateKind("peerCertificates", Duration.ofSeconds(duration), Duration.ofSeconds(renewBefore));
  }

  @Property(tries = 100)
  void theSampledLongestWaitIsExactForWaitsAsLongAsItsStep(
      @ForAll("fewWindowSpecs") List<Spec> specs,
      @ForAll("instants") Instant from,
      @ForAll @IntRange(min = 1, max = 240) int horizonHours,
      @ForAll @IntRange(min = 1, max = 360) int stepMinutes,
      @ForAll @Size(8) List<@DoubleRange(min = 0, max = 1, maxIncluded = false) @Scale(6) Double> whereInTheHorizon) {
    RenewalWindows windows = RenewalWindows.parse(specs);
    Duration horizon = Duration.ofHours(horizonHours);
    List<Instant> probes = whereInTheHorizon.stream()
        .map(f -> from.plus(Duration.ofSeconds((long) (f * horizon.getSeconds())))).toList();

    assertThat(longestWaitCheck(windows, from, horizon, Duration.ofMinutes(stepMinutes), probes)).isEmpty();
  }

  // ---- a check can fail ----

  @Example
  void aDeliberatelyBrokenSchedulerIsCaughtByTheInsideAWindowCheck() {
    RenewalWindows tuesdays = RenewalWindows.parse(List.of(new Spec("0 3 * * 2", "Europe/Berlin", "3h")));
    Instant wednesday = Instant.parse("2027-01-06T00:00:00Z");
    Instant lastSafe = wednesday.plus(Duration.ofDays(30));
    Scheduler ignoresTheWindows = (due, safe, spread, windows) -> new RenewalTime(due, Kind.IN_WINDOW, null, "");
    Scheduler alwaysGivesUp = (due, safe, spread, windows) -> new RenewalTime(safe, Kind.LAST_SAFE_MOMENT, null, "");

    assertThat(insideAWindowCheck(tuesdays, wednesday, lastSafe, ignoresTheWindows.decide(wednesday, lastSafe, 0.5, tuesdays)))
        .hasValue("2027-01-06T00:00:00Z is in no window (the next: Window[start=2027-01-12T02:00:00Z, end=2027-01-12T05:00:00Z])");
    assertThat(insideAWindowCheck(tuesdays, wednesday, lastSafe, alwaysGivesUp.decide(wednesday, lastSafe, 0.5, tuesdays)))
        .hasValueSatisfying(violation -> assertThat(violation).startsWith("LAST_SAFE_MOMENT although"));
    var peers = new CertificateKind("peers", Duration.ofDays(90), Duration.ofDays(30));
    assertThat(satisfiedKindCheck(tuesdays, wednesday, peers, RenewalTime.unsatisfiable(tuesdays, wednesday, List.of(peers)),
        List.of(), alwaysGivesUp)).isPresent();
    assertThat(insideAWindowCheck(tuesdays, wednesday, lastSafe, THE_SCHEDULER.decide(wednesday, lastSafe, 0.5, tuesdays)))
        .isEmpty();
  }

  // ---- generators ----

  @Provide
  Arbitrary<List<Spec>> windowSpecs() {
    return spec().list().ofMinSize(1).ofMaxSize(3);
  }

  /** At most two: the checks of longest waits walk every window of the horizon. */
  @Provide
  Arbitrary<List<Spec>> fewWindowSpecs() {
    return spec().list().ofMinSize(1).ofMaxSize(2);
  }

  private Arbitrary<Spec> spec() {
    return Combinators.combine(cronAndLength(), Arbitraries.of(ZONES))
        .as((cronAndLength, zone) -> new Spec(cronAndLength.get1(), zone, cronAndLength.get2()));
  }

  /** A cron expression of one of five shapes, with a window length that suits it. */
  private Arbitrary<Tuple.Tuple2<String, String>> cronAndLength() {
    Arbitrary<Integer> minute = Arbitraries.integers().between(0, 59);
    // 1 to 3 o'clock, where the DST changes are, a third of the time
    Arbitrary<Integer> hour = Arbitraries.frequencyOf(
        Tuple.of(1, Arbitraries.integers().between(1, 3)), Tuple.of(2, Arbitraries.integers().between(0, 23)));
    Arbitrary<Tuple.Tuple2<String, String>> everyNMinutes = Arbitraries.integers().between(1, 59).flatMap(n ->
        goDurations(30, 2L * n * 60).map(length -> Tuple.of("*/" + n + " * * * *", length)));
    Arbitrary<Tuple.Tuple2<String, String>> daily = Combinators.combine(minute, hour, goDurations(60, 30 * 3600))
        .as((m, h, length) -> Tuple.of(m + " " + h + " * * *", length));
    Arbitrary<Tuple.Tuple2<String, String>> weekly = Combinators.combine(
            minute, hour, Arbitraries.integers().between(0, 6), goDurations(600, 8 * 86400))
        .as((m, h, day, length) -> Tuple.of(m + " " + h + " * * " + day, length));
    Arbitrary<Tuple.Tuple2<String, String>> monthly = Combinators.combine(
            minute, hour, Arbitraries.integers().between(1, 31), goDurations(1800, 31 * 86400))
        .as((m, h, day, length) -> Tuple.of(m + " " + h + " " + day + " * *", length));
    Arbitrary<Tuple.Tuple2<String, String>> leapDay = Combinators.combine(minute, hour, goDurations(3600, 31 * 86400))
        .as((m, h, length) -> Tuple.of(m + " " + h + " 29 2 *", length));
    return Arbitraries.frequencyOf(
        Tuple.of(2, everyNMinutes), Tuple.of(3, daily), Tuple.of(3, weekly), Tuple.of(2, monthly), Tuple.of(1, leapDay));
  }

  /** Go durations such as 3h, 45m or 1m30s, from min to max seconds. */
  private static Arbitrary<String> goDurations(long minSeconds, long maxSeconds) {
    return Arbitraries.longs().between(minSeconds, maxSeconds).map(s -> GoDuration.format(Duration.ofSeconds(s)));
  }

  /** Instants of 2024 to 2030, two fifths of them within three days of a DST change or a leap day. */
  @Provide
  Arbitrary<Instant> instants() {
    Arbitrary<Instant> anywhere = Arbitraries.longs().between(FIRST.getEpochSecond(), LAST.getEpochSecond())
        .map(Instant::ofEpochSecond);
    Arbitrary<Instant> nearAChange = Combinators.combine(Arbitraries.of(CHANGES), Arbitraries.longs().between(-3 * 86400, 3 * 86400))
        .as(Instant::plusSeconds);
    return Arbitraries.frequencyOf(Tuple.of(3, anywhere), Tuple.of(2, nearAChange));
  }

  /** lastSafe - due: mostly minutes to 60 days, sometimes nothing or negative (renewal overdue). */
  @Provide
  Arbitrary<Duration> rooms() {
    return Arbitraries.frequencyOf(
        Tuple.of(1, Arbitraries.longs().between(-2 * 86400, 0)),
        Tuple.of(9, Arbitraries.longs().between(60, 60 * 86400))).map(Duration::ofSeconds);
  }

  /** From keys as the operator hashes them, and the extremes. */
  @Provide
  Arbitrary<Double> spreads() {
    return Arbitraries.frequencyOf(
        Tuple.of(8, Arbitraries.strings().ofMaxLength(36).map(RenewalTime::spread)),
        Tuple.of(1, Arbitraries.just(0.0)),
        Tuple.of(1, Arbitraries.just(Math.nextDown(1.0))));
  }

  /** Mostly renewBefore shorter than the duration (above 1), sometimes not. */
  @Provide
  Arbitrary<Double> lifetimeFactors() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.doubles().between(1.1, 10)),
        Tuple.of(1, Arbitraries.doubles().between(0.5, 1)));
  }

  /** Rooms around the longest wait: a third of the time shorter, else longer. */
  @Provide
  Arbitrary<Double> roomFactors() {
    return Arbitraries.frequencyOf(
        Tuple.of(1, Arbitraries.doubles().between(0.2, 0.95)),
        Tuple.of(2, Arbitraries.doubles().between(1.05, 4)));
  }
}
