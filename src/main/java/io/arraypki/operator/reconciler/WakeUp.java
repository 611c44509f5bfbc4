package io.arraypki.operator.reconciler;

import java.time.Duration;
import java.time.Instant;

/** When to reconcile again for a wake-up time: a time already past means now (in a second). */
final class WakeUp {
  /** The shortest reschedule: a wake-up time that is due keeps being due, never a busy loop. */
  static final Duration SOON = Duration.ofSeconds(1);

  private WakeUp() {}

  /**
   * The delay until {@code wakeAt}, plus a second so that the reconcile sees the time passed;
   * {@link #SOON} when {@code wakeAt} is now or past. (Its absolute value, as this once was,
   * turned a wake-up 480 h overdue into a reschedule 480 h away.)
   */
  static Duration after(Instant now, Instant wakeAt) {
    Duration delay = Duration.between(now, wakeAt).plusSeconds(1);
    return delay.compareTo(SOON) < 0 ? SOON : delay;
  }
}
