package io.arraypki.operator.pki;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The maintenance windows in which time-based renewals may happen, in cert-manager's shape: each
 * a standard 5-field UNIX cron expression for when a window opens, an IANA time zone the
 * expression is read in (UTC when empty) and a Go duration for how long it stays open.
 *
 * <p>An opening is every instant whose wall-clock time in the window's zone matches the cron
 * expression. So on a spring-forward day a local time that does not exist opens no window (a
 * "30 2 * * *" window in Europe/Berlin skips 2027-03-28), and on a fall-back day a local time that
 * happens twice opens a window twice. cron-utils' own zoned evaluation answers differently
 * depending on where in the repeated hour one asks, which would make the windows found going
 * forwards disagree with those found going backwards; hence cron-utils only evaluates the
 * expression on wall-clock times and the mapping to instants is done here, one UTC offset at a
 * time. A window is {@code [opening, opening + duration)} in absolute time: a 3h window across a
 * DST change is open three real hours.
 *
 * <p>Immutable once parsed, and nothing is cached statically: the caller may keep one instance per
 * spec and share it between threads (cron-utils' ExecutionTime keeps no state between calls). An
 * empty list means no windows: renew whenever due.
 */
public final class RenewalWindows {

  /** Windows longer than this are refused: a window that long is a misunderstanding, not a window. */
  public static final Duration MAX_WINDOW_DURATION = Duration.ofDays(31);

  /**
   * How many steps {@link #longestWait(Instant, Duration, Duration)} walks window by window before
   * it samples the rest of the horizon: a per-minute schedule over 400 days would be half a million
   * openings, each costing a cron evaluation.
   */
  static final int MAX_SWEPT_STEPS = 2048;

  /** The default sampling step of {@link #longestWait(Instant, Duration)} is the horizon over this. */
  static final int DEFAULT_SAMPLES = 4096;

  private static final int MAX_CRON_CHARS = 128;

  /**
   * Where a cron expression is tried once when parsed, to refuse one that never matches (such as
   * the 30th of February). Any fixed wall-clock time does: the result must not depend on when the
   * spec was read.
   */
  private static final LocalDateTime NEVER_CHECK_FROM = LocalDateTime.of(2000, 1, 1, 0, 0);

  /**
   * Zone transitions crossed while looking for one opening before giving up; two a year in zones
   * with DST, so this is centuries, far beyond any expression that matches at all.
   */
  private static final int MAX_SEGMENTS = 1024;

  private static final RenewalWindows NONE = new RenewalWindows(List.of());

  /** One window as written in the spec; timezone may be null or empty for UTC. */
  public record Spec(String cron, String timezone, String windowDuration) {}

  /** An open window {@code [start, end)}. */
  public record Window(Instant start, Instant end) {
    public boolean contains(Instant t) {
      return !t.isBefore(start) && t.isBefore(end);
    }

    public Duration length() {
      return Duration.between(start, end);
    }
  }

  /** A parsed spec; {@code wallClock} evaluates the expression on local times (read as UTC). */
  private record Schedule(int index, String cron, ExecutionTime wallClock, ZoneId zone, Duration length) {}

  private final List<Schedule> schedules;

  private RenewalWindows(List<Schedule> schedules) {
    this.schedules = schedules;
  }

  /** No windows: every renewal happens when due. */
  public static RenewalWindows none() {
    return NONE;
  }

  /**
   * Parses the specs in order. A bad one throws a {@link PkiException} whose message names it as
   * {@code windows[i].field} and is fit for a condition message.
   */
  public static RenewalWindows parse(List<Spec> specs) {
    if (specs == null || specs.isEmpty()) {
      return NONE;
    }
    // A parser per call rather than a static one: nothing of cron-utils is shared between instances.
    CronParser parser = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    List<Schedule> schedules = new ArrayList<>(specs.size());
    for (int i = 0; i < specs.size(); i++) {
      Spec spec = specs.get(i);
      if (spec == null) {
        throw new PkiException("windows[" + i + "]: empty");
      }
      schedules.add(new Schedule(i, spec.cron(), wallClock(parser, i, spec.cron()), zone(i, spec.timezone()),
          length(i, spec.windowDuration())));
    }
    return new RenewalWindows(List.copyOf(schedules));
  }

  private static ExecutionTime wallClock(CronParser parser, int index, String cron) {
    String field = "windows[" + index + "].cron: ";
    if (cron == null || cron.isBlank()) {
      throw new PkiException(field + "empty; a window needs a 5-field cron expression such as '0 3 * * 2'");
    }
    if (cron.length() > MAX_CRON_CHARS) {
      throw new PkiException(field + "longer than " + MAX_CRON_CHARS + " characters");
    }
    ExecutionTime executionTime;
    try {
      executionTime = ExecutionTime.forCron(parser.parse(cron));
    } catch (IllegalArgumentException e) {
      throw new PkiException(field + "'" + cron + "' is not a 5-field UNIX cron expression such as '0 3 * * 2' ("
          + e.getMessage() + ")");
    }
    if (executionTime.nextExecution(NEVER_CHECK_FROM.atZone(ZoneOffset.UTC)).isEmpty()) {
      throw new PkiException(field + "'" + cron + "' never matches a date (such as the 30th of February)");
    }
    return executionTime;
  }

  private static ZoneId zone(int index, String timezone) {
    if (timezone == null || timezone.isEmpty()) {
      return ZoneOffset.UTC;
    }
    // IANA names only, as Go's time.LoadLocation reads them: no offsets such as +02:00.
    if (!ZoneId.getAvailableZoneIds().contains(timezone)) {
      throw new PkiException("windows[" + index + "].timezone: '" + timezone
          + "' is not an IANA time zone name such as Europe/Berlin or UTC");
    }
    return ZoneId.of(timezone);
  }

  private static Duration length(int index, String windowDuration) {
    String field = "windows[" + index + "].windowDuration: ";
    Duration length;
    try {
      length = GoDuration.parse(windowDuration);
    } catch (PkiException e) {
      throw new PkiException(field + e.getMessage());
    }
    if (length.isNegative() || length.isZero()) {
      throw new PkiException(field + "must be positive, such as 3h or 45m");
    }
    if (length.compareTo(MAX_WINDOW_DURATION) > 0) {
      throw new PkiException(field + "'" + windowDuration + "' is longer than "
          + GoDuration.format(MAX_WINDOW_DURATION));
    }
    return length;
  }

  public boolean isEmpty() {
    return schedules.isEmpty();
  }

  /**
   * The first window that is still open at or after {@code t}: of all windows with {@code end > t},
   * the one that opens first (on a tie, the longer). A window already open at {@code t} counts, so
   * {@code t} is inside some window exactly when the answer starts at or before it. Windows are
   * not merged: overlapping openings, of one spec or of several, stay windows of their own (a
   * renewal is spread across one opening). Empty when there are no windows, or none opens again.
   */
  public Optional<Window> windowAtOrAfter(Instant t) {
    Window first = null;
    for (Schedule schedule : schedules) {
      Window w = firstEndingAfter(schedule, t);
      if (w != null && (first == null || w.start().isBefore(first.start())
          || (w.start().equals(first.start()) && w.end().isAfter(first.end())))) {
        first = w;
      }
    }
    return Optional.ofNullable(first);
  }

  /**
   * The longest a renewal that becomes due at any instant of {@code [from, from + horizon)} waits
   * for a window to be open: 0 for a due time inside a window, and for one right at the end of a
   * window, the time to the next opening (measured in full even when that is past the horizon).
   * The sampling step is the horizon over 4096 (about 2h20m for 400 days); see {@link
   * #longestWait(Instant, Duration, Duration)} for when it matters. Zero without windows; at least
   * the horizon when, from some due time on, no window ever opens again.
   */
  public Duration longestWait(Instant from, Duration horizon) {
    return longestWait(from, horizon, defaultResolution(horizon));
  }

  /**
   * The same, exact when the horizon is crossed in at most 2048 steps (one per gap and one per
   * window met; windows that overlap or touch are crossed one after the other, as one). Beyond that the rest of the horizon is
   * sampled every {@code resolution}: a sample that falls into a gap finds the gap's start (the
   * latest end of a window before it) and its end, so every gap that contains a sample is still
   * measured exactly, and a gap no sample falls into is shorter than {@code resolution}. Hence the
   * answer is exact whenever the true longest wait is at least {@code resolution}, and otherwise
   * both are below {@code resolution}: it never under-reports by {@code resolution} or more. The
   * cost is then about horizon / resolution cron evaluations per spec (fewer: gaps and windows
   * longer than the step are skipped).
   */
  public Duration longestWait(Instant from, Duration horizon, Duration resolution) {
    return longestWait(from, horizon, resolution, MAX_SWEPT_STEPS);
  }

  /** The default sampling step for a horizon: the horizon over 4096, at least a second. */
  static Duration defaultResolution(Duration horizon) {
    Duration step = horizon.dividedBy(DEFAULT_SAMPLES);
    return step.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : step;
  }

  /**
   * The longest wait and how far below the truth it may be: zero when the sweep crossed the whole
   * horizon, else the sampling step (any wait at least that long is still exact).
   */
  record WaitBound(Duration longest, Duration tolerance) {}

  /** With the number of exact steps as a parameter, so that tests can force the sampled part. */
  Duration longestWait(Instant from, Duration horizon, Duration resolution, int maxSweptSteps) {
    return waitBound(from, horizon, resolution, maxSweptSteps).longest();
  }

  WaitBound waitBound(Instant from, Duration horizon, Duration resolution, int maxSweptSteps) {
    if (horizon.isNegative() || horizon.isZero()) {
      throw new IllegalArgumentException("the horizon must be positive");
    }
    if (resolution.isNegative() || resolution.isZero()) {
      throw new IllegalArgumentException("the resolution must be positive");
    }
    if (schedules.isEmpty()) {
      return new WaitBound(Duration.ZERO, Duration.ZERO);
    }
    Instant end = from.plus(horizon);
    Duration longest = Duration.ZERO;
    // Every due time before t is accounted for; t is either a gap's start or inside a window.
    Instant t = from;
    for (int steps = 0; t.isBefore(end); steps++) {
      if (steps >= maxSweptSteps) {
        return new WaitBound(longest(longest, sampledLongestWait(t, end, horizon, resolution)), resolution);
      }
      Cover cover = cover(t);
      if (cover == null) {
        return new WaitBound(longest(longest, horizon), Duration.ZERO);
      }
      if (cover.coveredUntil() != null) {
        t = cover.coveredUntil();
      } else {
        longest = longest(longest, Duration.between(t, cover.nextStart()));
        t = cover.nextStart();
      }
    }
    return new WaitBound(longest, Duration.ZERO);
  }

  /**
   * The rest of the horizon from {@code t0} (a gap's start or a point inside a window), sampled
   * every {@code step}. Samples go on one step past the end so that a gap starting just before the
   * end is seen too; only gaps that start before the end count.
   */
  private Duration sampledLongestWait(Instant t0, Instant end, Duration horizon, Duration step) {
    Duration longest = Duration.ZERO;
    Instant stop = end.plus(step);
    Instant s = t0;
    while (s.isBefore(stop)) {
      Cover cover = cover(s);
      if (cover == null) {
        Instant gapStart = latestEndBefore(s, t0);
        return gapStart.isBefore(end) ? longest(longest, horizon) : longest;
      }
      Instant skipTo;
      if (cover.coveredUntil() != null) {
        skipTo = cover.coveredUntil();
      } else {
        Instant gapStart = latestEndBefore(s, t0);
        if (gapStart.isBefore(end)) {
          longest = longest(longest, Duration.between(gapStart, cover.nextStart()));
        }
        skipTo = cover.nextStart();
      }
      // the first sample at or after skipTo, on the grid t0 + i * step
      long stepsAhead = Math.max(1, ceilDiv(Duration.between(s, skipTo), step));
      s = s.plus(step.multipliedBy(stepsAhead));
    }
    return longest;
  }

  /**
   * At {@code t}: when windows are open, the latest end among those open (coveredUntil); otherwise
   * the next opening (nextStart). Null when no window opens at or after {@code t} at all.
   */
  private record Cover(Instant coveredUntil, Instant nextStart) {}

  private Cover cover(Instant t) {
    Instant coveredUntil = null;
    Instant nextStart = null;
    for (Schedule schedule : schedules) {
      Window w = firstEndingAfter(schedule, t);
      if (w == null) {
        continue;
      }
      if (!w.start().isAfter(t)) {
        // the first window of this spec still open; a later one of it that overlaps and ends
        // later is met on the sweep's next step
        if (coveredUntil == null || w.end().isAfter(coveredUntil)) {
          coveredUntil = w.end();
        }
      } else if (nextStart == null || w.start().isBefore(nextStart)) {
        nextStart = w.start();
      }
    }
    if (coveredUntil == null && nextStart == null) {
      return null;
    }
    return new Cover(coveredUntil, nextStart);
  }

  /** The latest end, at or before {@code s}, of any window that opened before {@code s}; at least {@code floor}. */
  private Instant latestEndBefore(Instant s, Instant floor) {
    Instant latest = floor;
    for (Schedule schedule : schedules) {
      Instant opening = lastOpeningBefore(schedule, s);
      if (opening != null) {
        Instant windowEnd = opening.plus(schedule.length());
        if (windowEnd.isAfter(latest) && !windowEnd.isAfter(s)) {
          latest = windowEnd;
        }
      }
    }
    return latest;
  }

  /**
   * This schedule's first window with {@code end > t}: the first opening strictly after
   * {@code t - length} (cron-utils' nextExecution is strictly after its argument, which is what
   * makes {@code opening + length > t}).
   */
  private static Window firstEndingAfter(Schedule schedule, Instant t) {
    Instant opening = firstOpeningAfter(schedule, t.minus(schedule.length()));
    return opening == null ? null : new Window(opening, opening.plus(schedule.length()));
  }

  /**
   * The first opening strictly after {@code t}, or null. Walks the zone's stretches of constant
   * UTC offset forwards from {@code t}: within a stretch wall-clock time and instants advance
   * together, so the first matching wall-clock time in it is its first opening.
   */
  private static Instant firstOpeningAfter(Schedule schedule, Instant t) {
    ZoneRules rules = schedule.zone().getRules();
    Instant stretchStart = t;
    boolean startIncluded = false;
    for (int i = 0; i < MAX_SEGMENTS; i++) {
      ZoneOffset offset = rules.getOffset(stretchStart);
      ZoneOffsetTransition next = rules.nextTransition(stretchStart);
      LocalDateTime local = LocalDateTime.ofInstant(stretchStart, offset);
      LocalDateTime after = startIncluded ? local.minusNanos(1) : local;
      Optional<ZonedDateTime> match = schedule.wallClock().nextExecution(after.atZone(ZoneOffset.UTC));
      if (match.isEmpty()) {
        return null;
      }
      Instant opening = match.get().toLocalDateTime().toInstant(offset);
      if (next == null || opening.isBefore(next.getInstant())) {
        return opening;
      }
      stretchStart = next.getInstant();
      startIncluded = true;
    }
    return null;
  }

  /** The last opening strictly before {@code t}, or null; the same walk, backwards. */
  private static Instant lastOpeningBefore(Schedule schedule, Instant t) {
    ZoneRules rules = schedule.zone().getRules();
    Instant stretchEnd = t;
    for (int i = 0; i < MAX_SEGMENTS; i++) {
      ZoneOffset offset = rules.getOffset(stretchEnd.minusNanos(1));
      ZoneOffsetTransition previous = rules.previousTransition(stretchEnd);
      LocalDateTime local = LocalDateTime.ofInstant(stretchEnd, offset);
      Optional<ZonedDateTime> match = schedule.wallClock().lastExecution(local.atZone(ZoneOffset.UTC));
      if (match.isEmpty()) {
        return null;
      }
      Instant opening = match.get().toLocalDateTime().toInstant(offset);
      if (previous == null || !opening.isBefore(previous.getInstant())) {
        return opening;
      }
      stretchEnd = previous.getInstant();
    }
    return null;
  }

  private static long ceilDiv(Duration a, Duration b) {
    long q = a.dividedBy(b);
    return b.multipliedBy(q).compareTo(a) < 0 ? q + 1 : q;
  }

  private static Duration longest(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  @Override
  public String toString() {
    return "RenewalWindows" + schedules.stream()
        .map(s -> "[" + s.index() + ": '" + s.cron() + "' " + s.zone() + " " + GoDuration.format(s.length()) + "]")
        .toList();
  }
}
