package io.arraypki.operator.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GoDurationTest {
  @Test
  void parsesTheGoForms() {
    assertThat(GoDuration.parse("2160h")).isEqualTo(Duration.ofHours(2160));
    assertThat(GoDuration.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(GoDuration.parse("1.5h")).isEqualTo(Duration.ofMinutes(90));
    assertThat(GoDuration.parse("45s")).isEqualTo(Duration.ofSeconds(45));
    assertThat(GoDuration.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(GoDuration.parse("0")).isEqualTo(Duration.ZERO);
    assertThat(GoDuration.parse("0s")).isEqualTo(Duration.ZERO);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "h", "10", "10d", "-5m", "1h 30m", "1.h", "99999999999999999999h"})
  void refusesWhatGoRefusesWithAClearMessage(String text) {
    assertThatThrownBy(() -> GoDuration.parse(text)).isInstanceOf(PkiException.class);
  }

  @Test
  void formatsWholeUnitsAsGoDoes() {
    assertThat(GoDuration.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
    assertThat(GoDuration.format(Duration.ZERO)).isEqualTo("0s");
    assertThat(GoDuration.format(Duration.ofSeconds(30))).isEqualTo("30s");
  }
}
