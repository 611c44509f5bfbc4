package io.arraypki.operator.reconciler;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A Node applied together with its array waits a moment for the array's CA. Reporting that wait
 * in its status would cost one more write per member when a thousand are applied at once, for a
 * state that lasts a second: a node with no status yet stays quiet for {@link #GRACE} after its
 * creation and is looked at again then (the CA's arrival wakes it earlier).
 */
final class WaitingGrace {
  static final Duration GRACE = Duration.ofSeconds(10);

  private WaitingGrace() {}

  /** Until when to say nothing, or empty when the wait is to be reported now. */
  static Optional<Instant> quietUntil(boolean neverReported, Instant created, Instant now) {
    Instant end = created.plus(GRACE);
    return neverReported && now.isBefore(end) ? Optional.of(end) : Optional.empty();
  }
}
