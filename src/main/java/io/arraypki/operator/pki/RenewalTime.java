package io.arraypki.operator.pki;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * When one certificate is renewed, given the renewal windows: a pure function of its due time, its
 * last safe moment, its spread and the windows, never of the current time, so that the answer
 * stays the same across restarts of the operator.
 *
 * <p>{@code at} is the chosen instant. NO_WINDOWS: there are none, at = due. IN_WINDOW: at lies in
 * {@code window}, spread across the part of it that is usable (after due, before the last safe
 * moment), so that the members of an array do not all renew in the window's first second.
 * LAST_SAFE_MOMENT: no window opens in time; at = the last safe moment (or due, when that is
 * already not before it), the caller renews outside the windows and warns with {@code message}.
 *
 * @param window the window {@code at} lies in (IN_WINDOW), else null
 * @param message why the windows could not be kept (LAST_SAFE_MOMENT), else ""
 */
public record RenewalTime(Instant at, Kind kind, RenewalWindows.Window window, String message) {

  public enum Kind {
    NO_WINDOWS,
    IN_WINDOW,
    LAST_SAFE_MOMENT
  }

  /**
   * How far ahead {@link #unsatisfiable} looks at least: over a year, so that every yearly pattern
   * (DST changes, short months, a window on the 31st) is met at least once.
   */
  public static final Duration CHECK_HORIZON = Duration.ofDays(400);

  /**
   * {@link #unsatisfiable} samples the windows no finer than this (when they open too often to be
   * walked one by one): a quarter of an hour keeps a check of 400 days under a second or so.
   */
  static final Duration FINEST_CHECK_RESOLUTION = Duration.ofMinutes(15);

  /** A kind of certificate of an array, as its spec sets it, e.g. "peerCertificates". */
  public record CertificateKind(String name, Duration duration, Duration renewBefore) {}

  /**
   * Decides for one certificate.
   *
   * @param due when renewal is due without windows ({@link LeafDecision#renewalTime})
   * @param lastSafe the latest it may be renewed ({@link #lastSafe})
   * @param spread in [0, 1), from {@link #spread(String)} of something stable such as the node's UID
   */
  public static RenewalTime decide(Instant due, Instant lastSafe, double spread, RenewalWindows windows) {
    if (!(spread >= 0 && spread < 1)) {
      throw new IllegalArgumentException("spread must be in [0, 1): " + spread);
    }
    if (windows.isEmpty()) {
      return new RenewalTime(due, Kind.NO_WINDOWS, null, "");
    }
    if (!due.isBefore(lastSafe)) {
      return new RenewalTime(due, Kind.LAST_SAFE_MOMENT, null, "renewal was due at " + due
          + ", not before its last safe moment " + lastSafe + "; renewing without waiting for a renewal window");
    }
    Optional<RenewalWindows.Window> next = windows.windowAtOrAfter(due);
    if (next.isEmpty() || !next.get().start().isBefore(lastSafe)) {
      String opens = next.map(w -> " (the next opens at " + w.start() + ")").orElse("");
      return new RenewalTime(lastSafe, Kind.LAST_SAFE_MOMENT, null, "no renewal window opens between " + due
          + " and " + lastSafe + opens + "; renewing at the last safe moment");
    }
    RenewalWindows.Window window = next.get();
    Instant usableStart = later(window.start(), due);
    Instant usableEnd = earlier(window.end(), lastSafe);
    return new RenewalTime(usableStart.plus(offset(Duration.between(usableStart, usableEnd), spread)),
        Kind.IN_WINDOW, window, "");
  }

  /**
   * The same decision as seen at {@code now}: while its time has not come, it stands; once it has,
   * the renewal happens now if a window is open now (or none is wanted, or the last safe moment has
   * come), and a window that passed unused (the operator was down, the array's bound per minute
   * held it back) moves it to the next window that opens in time, never to a closed moment.
   */
  public static RenewalTime asOf(Instant now, Instant due, Instant lastSafe, double spread, RenewalWindows windows) {
    RenewalTime planned = decide(due, lastSafe, spread, windows);
    if (now.isBefore(planned.at()) || planned.kind() != Kind.IN_WINDOW) {
      return planned;
    }
    Optional<RenewalWindows.Window> open = windows.windowAtOrAfter(now).filter(w -> w.contains(now));
    if (open.isPresent()) {
      return new RenewalTime(now, Kind.IN_WINDOW, open.get(), "");
    }
    return decide(now, lastSafe, spread, windows);
  }

  /**
   * spread times the usable length, in whole seconds (times that read well in events and status)
   * and always short of the length: at stays inside the window and before the last safe moment.
   */
  private static Duration offset(Duration usable, double spread) {
    long seconds = usable.getSeconds();
    if (seconds == 0) {
      return Duration.ZERO;
    }
    // the last tenth (at most five minutes) is left free: a reconcile wakes a moment after its
    // time, and one spread to a window's last second would find it closed, every time
    long slack = Math.min(seconds / 10, 300);
    long spreadOver = Math.max(1, seconds - slack);
    // spread * seconds can round up to seconds itself when spread is just below 1
    return Duration.ofSeconds(Math.min((long) Math.floor(spread * spreadOver), spreadOver - 1));
  }

  /**
   * The last safe moment to renew: notAfter minus a third of the effective renewBefore, which is
   * renewBefore, or a third of the lifetime when renewBefore is not shorter than the lifetime (as
   * in {@link LeafDecision#renewalTime(Instant, Instant, Duration)}). Waiting for a window may thus
   * use two thirds of the time renewBefore keeps in hand; the last third stays a margin for the
   * renewal itself to go wrong and be retried.
   */
  public static Instant lastSafe(Instant notBefore, Instant notAfter, Duration renewBefore) {
    return notAfter.minus(effectiveRenewBefore(Duration.between(notBefore, notAfter), renewBefore).dividedBy(3));
  }

  private static Duration effectiveRenewBefore(Duration lifetime, Duration renewBefore) {
    return renewBefore.compareTo(lifetime) < 0 ? renewBefore : lifetime.dividedBy(3);
  }

  /**
   * How long a certificate of this duration and renewBefore may wait for a window: lastSafe - due,
   * two thirds of the effective renewBefore (a certificate cut short to its CA's end has less).
   */
  public static Duration deferralRoom(Duration duration, Duration renewBefore) {
    Instant notBefore = Instant.EPOCH;
    Instant notAfter = notBefore.plus(duration);
    return Duration.between(LeafDecision.renewalTime(notBefore, notAfter, renewBefore),
        lastSafe(notBefore, notAfter, renewBefore));
  }

  /**
   * A stable value in [0, 1) for a key such as a node's UID: the first 53 bits of its SHA-256, so
   * that it is the same in every process and release, and evenly spread over keys.
   */
  public static double spread(String key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return (ByteBuffer.wrap(digest, 0, 8).getLong() >>> 11) * 0x1.0p-53;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /**
   * The horizon {@link #unsatisfiable} looks at: {@link #CHECK_HORIZON}, or the longest deferral
   * room of the kinds when that is longer, so that a kind's whole room fits in it.
   */
  public static Duration checkHorizon(List<CertificateKind> kinds) {
    Duration horizon = CHECK_HORIZON;
    for (CertificateKind kind : kinds) {
      Duration room = deferralRoom(kind.duration(), kind.renewBefore());
      if (room.compareTo(horizon) > 0) {
        horizon = room;
      }
    }
    if (!kinds.isEmpty() && kinds.stream().allMatch(k -> shortRoom(deferralRoom(k.duration(), k.renewBefore())))) {
      return shortRoomHorizon(kinds);
    }
    return horizon;
  }

  /**
   * A room shorter than the finest step the long horizon is sampled at: certificates that renew
   * within minutes (tests, short-lived credentials), whose windows must open every few minutes.
   */
  private static boolean shortRoom(Duration room) {
    return room.compareTo(FINEST_CHECK_RESOLUTION) < 0;
  }

  /** Short rooms are walked window by window, exactly, this many steps at most. */
  static final int SHORT_ROOM_STEPS = 200_000;

  /**
   * The horizon short rooms are checked over, exactly: two thousand of the shortest room, at
   * least eight days (a week's pattern and a day more) and at most the long horizon. Windows that
   * open every few minutes differ from week to week only by the month (a day-of-month or month
   * field); a gap past this horizon is still no stranded certificate: it renews at its last safe
   * moment, with a Warning.
   */
  static Duration shortRoomHorizon(List<CertificateKind> kinds) {
    Duration shortest = kinds.stream().map(k -> deferralRoom(k.duration(), k.renewBefore()))
        .filter(RenewalTime::shortRoom).min(Duration::compareTo).orElse(FINEST_CHECK_RESOLUTION);
    Duration horizon = shortest.multipliedBy(2_000);
    Duration least = Duration.ofDays(8);
    return horizon.compareTo(least) < 0 ? least : horizon.compareTo(CHECK_HORIZON) > 0 ? CHECK_HORIZON : horizon;
  }

  /**
   * Why the windows cannot be kept for some kinds of certificate, with the fix; empty when they
   * can. They cannot when, for a renewal falling due at some instant of {@code [now, now +
   * checkHorizon(kinds))}, the wait for a window ({@link RenewalWindows#longestWait}) is not
   * shorter than the kind's deferral room: such a certificate would be renewed outside the windows
   * at its last safe moment. When this says the windows are fine for a kind, every certificate of
   * it (of its full duration) falling due in the horizon is renewed inside a window.
   *
   * <p>Windows that open too often to be walked one by one over the horizon are sampled, every
   * smallest room of 15 minutes or more (at most the default step): a wait as long as the step is
   * always measured exactly, so those rooms are judged exactly. Rooms shorter than 15 minutes
   * (certificates renewed within minutes) are judged on their own, window by window and exactly,
   * over a shorter horizon ({@link #shortRoomHorizon}).
   */
  public static Optional<String> unsatisfiable(RenewalWindows windows, Instant now, List<CertificateKind> kinds) {
    if (windows.isEmpty() || kinds.isEmpty()) {
      return Optional.empty();
    }
    List<CertificateKind> longKinds = kinds.stream()
        .filter(k -> !shortRoom(deferralRoom(k.duration(), k.renewBefore()))).toList();
    RenewalWindows.WaitBound longWait = null;
    if (!longKinds.isEmpty()) {
      Duration horizon = checkHorizon(longKinds);
      Duration resolution = RenewalWindows.defaultResolution(horizon);
      for (CertificateKind kind : longKinds) {
        Duration room = deferralRoom(kind.duration(), kind.renewBefore());
        if (room.compareTo(resolution) < 0) {
          resolution = room;
        }
      }
      longWait = windows.waitBound(now, horizon, resolution, RenewalWindows.MAX_SWEPT_STEPS);
    }
    RenewalWindows.WaitBound shortWait = null;
    if (longKinds.size() < kinds.size()) {
      Duration shortest = kinds.stream().map(k -> deferralRoom(k.duration(), k.renewBefore()))
          .min(Duration::compareTo).orElseThrow();
      shortWait = windows.waitBound(now, shortRoomHorizon(kinds), shortest, SHORT_ROOM_STEPS);
    }
    List<String> problems = new ArrayList<>();
    for (CertificateKind kind : kinds) {
      Duration room = deferralRoom(kind.duration(), kind.renewBefore());
      RenewalWindows.WaitBound wait = shortRoom(room) ? shortWait : longWait;
      // a wait missed by the sampling is shorter than the tolerance
      if (wait.longest().compareTo(room) >= 0 || wait.tolerance().compareTo(room) > 0) {
        problems.add(problem(kind, room, wait));
      }
    }
    return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
  }

  private static String problem(CertificateKind kind, Duration room, RenewalWindows.WaitBound wait) {
    String name = kind.name();
    String roomFrom = kind.renewBefore().compareTo(kind.duration()) < 0
        ? "two thirds of renewBefore " + GoDuration.format(kind.renewBefore())
        : "two thirds of a third of duration " + GoDuration.format(kind.duration())
            + ", as renewBefore is not shorter than duration";
    boolean measured = wait.longest().compareTo(room) >= 0;
    // renewBefore r leaves a room of two thirds of r: it must be above 1.5 times the wait (or, to
    // be checked exactly, above 1.5 times the finest step)
    Duration toExceed = measured ? wait.longest() : FINEST_CHECK_RESOLUTION;
    Duration needed = roundUpToSeconds(toExceed.multipliedBy(3).dividedBy(2));
    String raise = needed.compareTo(kind.duration()) < 0
        ? name + ".renewBefore above " + GoDuration.format(needed)
        : name + ".renewBefore above " + GoDuration.format(needed) + " and " + name + ".duration above that";
    String canWait = name + " can wait at most " + GoDuration.format(room) + " (" + roomFrom + ")";
    return measured
        ? "renewal windows leave up to " + GoDuration.format(wait.longest()) + " between openings, but " + canWait
            + ": open a window more often or raise " + raise
        : "renewal windows open too often to check waits shorter than " + GoDuration.format(FINEST_CHECK_RESOLUTION)
            + " between openings, and " + canWait + ": raise " + raise;
  }

  private static Duration roundUpToSeconds(Duration d) {
    Duration whole = Duration.ofSeconds(d.getSeconds());
    return whole.equals(d) ? whole : whole.plusSeconds(1);
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static Instant earlier(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
