package io.arraypki.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class WaitingGraceTest {
  private static final Instant CREATED = Instant.parse("2026-11-22T12:00:00Z");

  @Test
  void aNewNodeWaitingForItsArraysCaSaysNothingForTenSecondsAfterItsCreation() {
    assertThat(WaitingGrace.quietUntil(true, CREATED, CREATED.plusSeconds(3))).contains(CREATED.plusSeconds(10));
  }

  @Test
  void aWaitThatOutlastsTheGraceIsReported() {
    assertThat(WaitingGrace.quietUntil(true, CREATED, CREATED.plusSeconds(10))).isEmpty();
  }

  @Test
  void aNodeThatHasReportedBeforeReportsAWaitAtOnce() {
    assertThat(WaitingGrace.quietUntil(false, CREATED, CREATED.plusSeconds(1))).isEmpty();
  }
}
