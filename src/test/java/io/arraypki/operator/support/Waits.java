package io.arraypki.operator.support;

import java.time.Duration;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/** How long tests wait for the operator to converge (an upper bound, never a measurement). */
public final class Waits {
  private Waits() {}

  public static ConditionFactory upTo(Duration timeout) {
    return Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(200)).ignoreExceptions();
  }

  /**
   * Two and a half minutes: on two cores beside the member pods' JVMs the operator's reconciles
   * were once held back 70 s, and CI's machines differ by half again in speed. A bound, so a
   * passing run waits no longer for it.
   */
  public static ConditionFactory converge() {
    return upTo(Duration.ofSeconds(150));
  }
}
