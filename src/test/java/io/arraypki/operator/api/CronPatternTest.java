package io.arraypki.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.pki.PkiException;
import io.arraypki.operator.pki.RenewalWindows;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The CRD's cron pattern (checked by the API server) agrees with cron-utils, which the operator parses with. */
class CronPatternTest {
  private static final Pattern CRON = Pattern.compile(Validation.CRON);

  private static boolean cronUtilsParses(String cron) {
    try {
      RenewalWindows.parse(List.of(new RenewalWindows.Spec(cron, "UTC", "1h")));
      return true;
    } catch (PkiException e) {
      return false;
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"0 3 * * 2", "0 3 * * TUE", "*/15 1-4 1,15 jan-jun mon-fri", "30 2 29 2 *", "* * * * *",
      "0,30 */2 * * 0-6", "59 23 31 12 7", " 0 3 * * 2 "})
  void whatThePatternAcceptsCronUtilsParses(String cron) {
    assertThat(CRON.matcher(cron).find()).as("pattern accepts %s", cron).isTrue();
    assertThat(cronUtilsParses(cron.trim())).as("cron-utils parses %s", cron).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"75 3 * * *", "0 24 * * *", "0 3 32 * *", "0 3 * 13 *", "0 3 * * 8", "0 3 * *",
      "0 0 3 * * *", "@weekly", "0 3 ? * 2", "*/0 * * * *", "x 3 * * *", "0 3 * * MONDAY"})
  void whatCronUtilsRefusesThePatternRefusesToo(String cron) {
    assertThat(cronUtilsParses(cron)).as("cron-utils refuses %s", cron).isFalse();
    assertThat(CRON.matcher(cron).find()).as("pattern refuses %s", cron).isFalse();
  }
}
