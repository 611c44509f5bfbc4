package io.arraypki.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class WakeUpTest {
  private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

  @Test
  void aWakeUpTimeInTheFutureIsThatFarAwayPlusASecond() {
    assertThat(WakeUp.after(NOW, NOW.plus(Duration.ofMinutes(2)))).isEqualTo(Duration.ofSeconds(121));
  }

  @Test
  void aWakeUpTimeLongPastMeansNowNotAsFarInTheFuture() {
    // a brought-in CA already 480 h inside its renewBefore window, as found in a review
    assertThat(WakeUp.after(NOW, NOW.minus(Duration.ofHours(480)))).isEqualTo(WakeUp.SOON);
  }

  @Test
  void aWakeUpTimeThatIsDueNowIsASecondAway() {
    assertThat(WakeUp.after(NOW, NOW)).isEqualTo(Duration.ofSeconds(1));
    assertThat(WakeUp.after(NOW, NOW.minusMillis(400))).isEqualTo(WakeUp.SOON);
  }
}
