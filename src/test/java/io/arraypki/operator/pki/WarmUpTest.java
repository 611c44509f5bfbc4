package io.arraypki.operator.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class WarmUpTest {
  @Test
  void theWarmUpMakesAndReadsBackACaKeyAndCrlWithoutError() {
    Duration took = WarmUp.run(Instant.parse("2026-11-22T00:00:00Z"));

    assertThat(took).isPositive();
  }
}
