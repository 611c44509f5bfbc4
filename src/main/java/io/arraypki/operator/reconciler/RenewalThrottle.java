package io.arraypki.operator.reconciler;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * At most {@code maxPerMinute} time-based renewals of one array start in any minute (a sliding
 * window), whatever the spread put together: the bound of DESIGN.md section 6 on members
 * re-keying at once. The one piece of the node's decision kept in memory, on purpose: after a
 * restart it starts empty, and the spread (a hash of each member, not of the process) still
 * holds. Requested and repair work never asks it.
 */
final class RenewalThrottle {
  static final Duration PERIOD = Duration.ofMinutes(1);

  private final Map<String, Deque<Instant>> started = new ConcurrentHashMap<>();

  /** Whether a renewal of {@code array} may start now; if so, it is counted. */
  boolean admit(String array, int maxPerMinute, Instant now) {
    Deque<Instant> times = started.computeIfAbsent(array, a -> new ArrayDeque<>());
    synchronized (times) {
      while (!times.isEmpty() && !times.peekFirst().isAfter(now.minus(PERIOD))) {
        times.removeFirst();
      }
      if (times.size() >= maxPerMinute) {
        return false;
      }
      times.addLast(now);
      return true;
    }
  }

  /** When the oldest renewal counted now leaves the window (a refused one may ask again then). */
  Instant nextFree(String array, Instant now) {
    Deque<Instant> times = started.get(array);
    if (times == null) {
      return now;
    }
    synchronized (times) {
      return times.isEmpty() ? now : times.peekFirst().plus(PERIOD);
    }
  }

  /** An admission for one array, as the planners ask it. */
  interface Admission {
    Admission ALWAYS = now -> java.util.Optional.empty();

    /** Empty when a renewal may start now; else when to ask again. */
    java.util.Optional<Instant> refusedUntil(Instant now);
  }

  Admission forArray(String array, int maxPerMinute) {
    return now -> admit(array, maxPerMinute, now) ? java.util.Optional.empty()
        : java.util.Optional.of(nextFree(array, now));
  }
}
