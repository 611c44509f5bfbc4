package io.arraypki.operator.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.arraypki.operator.pki.RenewalWindows.Spec;
import io.arraypki.operator.pki.RenewalWindows.Window;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RenewalWindowsTest {
  /** Tuesdays 03:00 in Berlin for 3h: 02:00Z in winter (CET), 01:00Z in summer (CEST). */
  private static final RenewalWindows TUESDAYS = windows(new Spec("0 3 * * 2", "Europe/Berlin", "3h"));

  private static RenewalWindows windows(Spec... specs) {
    return RenewalWindows.parse(List.of(specs));
  }

  private static Instant at(String text) {
    return Instant.parse(text);
  }

  private static Window window(String start, String end) {
    return new Window(at(start), at(end));
  }

  @Test
  void aWeeklyWindowInBerlinOpensOnTuesdayAtThreeLocalTime() {
    assertThat(TUESDAYS.windowAtOrAfter(at("2027-01-01T10:00:00Z")))
        .contains(window("2027-01-05T02:00:00Z", "2027-01-05T05:00:00Z"));
    assertThat(TUESDAYS.windowAtOrAfter(at("2027-07-01T10:00:00Z")))
        .contains(window("2027-07-06T01:00:00Z", "2027-07-06T04:00:00Z"));
  }

  @Test
  void aWindowAlreadyOpenCountsUntilItsEnd() {
    Window tuesday = window("2027-01-05T02:00:00Z", "2027-01-05T05:00:00Z");
    assertThat(TUESDAYS.windowAtOrAfter(at("2027-01-05T02:00:00Z"))).contains(tuesday);
    assertThat(TUESDAYS.windowAtOrAfter(at("2027-01-05T04:59:59Z"))).contains(tuesday);
    assertThat(TUESDAYS.windowAtOrAfter(at("2027-01-05T05:00:00Z")))
        .contains(window("2027-01-12T02:00:00Z", "2027-01-12T05:00:00Z"));
  }

  @Test
  void withSeveralSpecsTheEarliestStartWins() {
    RenewalWindows two = windows(new Spec("0 3 * * 2", "Europe/Berlin", "3h"), new Spec("0 12 * * 1", "UTC", "1h"));
    assertThat(two.windowAtOrAfter(at("2027-01-01T10:00:00Z")))
        .contains(window("2027-01-04T12:00:00Z", "2027-01-04T13:00:00Z"));
    assertThat(two.windowAtOrAfter(at("2027-01-04T13:00:00Z")))
        .contains(window("2027-01-05T02:00:00Z", "2027-01-05T05:00:00Z"));
  }

  @Test
  void overlappingWindowsAreNotMergedButTheirUnionCountsForTheWait() {
    // 02:00-05:00 and 04:00-06:00 UTC daily: windowAtOrAfter keeps them apart, the wait does not
    RenewalWindows two = windows(new Spec("0 2 * * *", "", "3h"), new Spec("0 4 * * *", "", "2h"));
    assertThat(two.windowAtOrAfter(at("2027-01-05T04:30:00Z")))
        .contains(window("2027-01-05T02:00:00Z", "2027-01-05T05:00:00Z"));
    assertThat(two.windowAtOrAfter(at("2027-01-05T05:00:00Z")))
        .contains(window("2027-01-05T04:00:00Z", "2027-01-05T06:00:00Z"));
    assertThat(two.longestWait(at("2027-01-05T03:00:00Z"), Duration.ofDays(3))).isEqualTo(Duration.ofHours(20));
  }

  @Test
  void springForwardSkipsALocalTimeThatDoesNotExist() {
    // Europe/Berlin 2027-03-28: 02:00 CET becomes 03:00 CEST, there is no 02:30 that day
    RenewalWindows daily = windows(new Spec("30 2 * * *", "Europe/Berlin", "1h"));
    assertThat(daily.windowAtOrAfter(at("2027-03-26T23:00:00Z")))
        .contains(window("2027-03-27T01:30:00Z", "2027-03-27T02:30:00Z"));
    assertThat(daily.windowAtOrAfter(at("2027-03-27T02:30:00Z")))
        .contains(window("2027-03-29T00:30:00Z", "2027-03-29T01:30:00Z"));
    // the skipped day shows in the wait: 46h instead of 23h
    assertThat(daily.longestWait(at("2027-03-20T00:00:00Z"), Duration.ofDays(20))).isEqualTo(Duration.ofHours(46));
  }

  @Test
  void aWindowAcrossADstChangeLastsItsDurationInRealTime() {
    RenewalWindows spring = windows(new Spec("0 1 * * *", "Europe/Berlin", "3h"));
    assertThat(spring.windowAtOrAfter(at("2027-03-27T23:30:00Z")))
        .contains(window("2027-03-28T00:00:00Z", "2027-03-28T03:00:00Z")); // 01:00 CET to 05:00 CEST
    assertThat(spring.windowAtOrAfter(at("2027-10-30T22:30:00Z")))
        .contains(window("2027-10-30T23:00:00Z", "2027-10-31T02:00:00Z")); // 01:00 CEST to 03:00 CET
  }

  @Test
  void fallBackOpensARepeatedLocalTimeTwice() {
    // Europe/Berlin 2027-10-31: 03:00 CEST becomes 02:00 CET, 02:30 happens at 00:30Z and at 01:30Z
    RenewalWindows daily = windows(new Spec("30 2 * * *", "Europe/Berlin", "30m"));
    assertThat(daily.windowAtOrAfter(at("2027-10-30T23:00:00Z")))
        .contains(window("2027-10-31T00:30:00Z", "2027-10-31T01:00:00Z"));
    assertThat(daily.windowAtOrAfter(at("2027-10-31T01:00:00Z")))
        .contains(window("2027-10-31T01:30:00Z", "2027-10-31T02:00:00Z"));
    assertThat(daily.windowAtOrAfter(at("2027-10-31T02:00:00Z")))
        .contains(window("2027-11-01T01:30:00Z", "2027-11-01T02:00:00Z"));
  }

  @Test
  void lordHoweMovesItsClockByHalfAnHour() {
    // Australia/Lord_Howe 2027-04-04: 02:00 +11:00 becomes 01:30 +10:30; 01:45 happens twice
    RenewalWindows daily = windows(new Spec("45 1 * * *", "Australia/Lord_Howe", "10m"));
    assertThat(daily.windowAtOrAfter(at("2027-04-03T14:00:00Z")))
        .contains(window("2027-04-03T14:45:00Z", "2027-04-03T14:55:00Z"));
    assertThat(daily.windowAtOrAfter(at("2027-04-03T14:55:00Z")))
        .contains(window("2027-04-03T15:15:00Z", "2027-04-03T15:25:00Z"));
  }

  @Test
  void aLeapDayWindowOpensEveryFourYears() {
    RenewalWindows leapDay = windows(new Spec("0 0 29 2 *", "UTC", "1h"));
    assertThat(leapDay.windowAtOrAfter(at("2025-03-01T00:00:00Z")))
        .contains(window("2028-02-29T00:00:00Z", "2028-02-29T01:00:00Z"));
    // the wait is measured in full, past the horizon: from 2024-03-01 to 2028-02-29
    assertThat(leapDay.longestWait(at("2024-03-01T00:00:00Z"), Duration.ofDays(400)))
        .isEqualTo(Duration.ofDays(1460));
  }

  @Test
  void theTimeZoneDefaultsToUtc() {
    Window threeUtc = window("2027-01-02T03:00:00Z", "2027-01-02T04:00:00Z");
    assertThat(windows(new Spec("0 3 * * *", null, "1h")).windowAtOrAfter(at("2027-01-01T10:00:00Z"))).contains(threeUtc);
    assertThat(windows(new Spec("0 3 * * *", "", "1h")).windowAtOrAfter(at("2027-01-01T10:00:00Z"))).contains(threeUtc);
  }

  @Test
  void noWindowsMeansNoWait() {
    assertThat(RenewalWindows.parse(List.of()).isEmpty()).isTrue();
    assertThat(RenewalWindows.none().windowAtOrAfter(at("2027-01-01T00:00:00Z"))).isEmpty();
    assertThat(RenewalWindows.none().longestWait(at("2027-01-01T00:00:00Z"), Duration.ofDays(400))).isZero();
  }

  @Test
  void longestWaitIsTheLongestGapBetweenWindows() {
    // a renewal due right at a Tuesday window's end waits a week less the window; DST changes in
    // Berlin make it 164h in the week of spring forward and 166h in the week of fall back
    assertThat(TUESDAYS.longestWait(at("2027-01-01T10:00:00Z"), Duration.ofDays(60))).isEqualTo(Duration.ofHours(165));
    assertThat(TUESDAYS.longestWait(at("2027-01-01T10:00:00Z"), Duration.ofDays(400))).isEqualTo(Duration.ofHours(166));
    // a due time at the start of the horizon, inside a gap, waits until the next opening
    assertThat(TUESDAYS.longestWait(at("2027-01-05T05:00:00Z"), Duration.ofMinutes(1))).isEqualTo(Duration.ofHours(165));
  }

  @Test
  void aPerMinuteScheduleOverFourHundredDaysIsQuick() {
    RenewalWindows everyMinuteHalfOpen = windows(new Spec("* * * * *", "Europe/Berlin", "30s"));
    RenewalWindows alwaysOpen = windows(new Spec("* * * * *", "Europe/Berlin", "1m"));
    RenewalWindows everySeventhMinute = windows(new Spec("*/7 * * * *", "America/New_York", "5m"));
    long started = System.nanoTime();
    assertThat(everyMinuteHalfOpen.longestWait(at("2027-01-01T00:00:00Z"), Duration.ofDays(400))).isEqualTo(Duration.ofSeconds(30));
    assertThat(alwaysOpen.longestWait(at("2027-01-01T00:00:00Z"), Duration.ofDays(400))).isZero();
    // :00, :07, ..., :56 for 5m each: 2m gaps, and :56 to :01 overlaps the next hour's :00
    assertThat(everySeventhMinute.longestWait(at("2027-01-01T00:00:00Z"), Duration.ofDays(400))).isEqualTo(Duration.ofMinutes(2));
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void theSampledPartMeasuresEveryGapAsLongAsItsStepExactly() {
    RenewalWindows daily = windows(new Spec("30 2 * * *", "Europe/Berlin", "1h"), new Spec("0 14 * * 1-5", "UTC", "2h"));
    Instant from = at("2027-03-01T00:00:00Z");
    Duration exact = daily.longestWait(from, Duration.ofDays(60), Duration.ofHours(1), Integer.MAX_VALUE);
    Duration sampledOnly = daily.longestWait(from, Duration.ofDays(60), Duration.ofHours(1), 0);
    assertThat(exact).isEqualTo(Duration.ofHours(46)); // the spring-forward day, over a weekend
    assertThat(sampledOnly).isEqualTo(exact);
  }

  @Test
  void aBadCronNamesTheWindowAndTheField() {
    assertThatThrownBy(() -> windows(new Spec("0 3 * * 2", "UTC", "1h"), new Spec("61 * * * *", "UTC", "1h")))
        .isInstanceOf(PkiException.class)
        .hasMessageStartingWith("windows[1].cron: '61 * * * *' is not a 5-field UNIX cron expression such as '0 3 * * 2'");
    assertThatThrownBy(() -> windows(new Spec("0 3 * * 2 2027", "UTC", "1h")))
        .hasMessageStartingWith("windows[0].cron: '0 3 * * 2 2027' is not a 5-field UNIX cron expression");
    assertThatThrownBy(() -> windows(new Spec("", "UTC", "1h"))).hasMessageStartingWith("windows[0].cron: empty");
    assertThatThrownBy(() -> windows(new Spec("0 0 30 2 *", "UTC", "1h")))
        .hasMessage("windows[0].cron: '0 0 30 2 *' never matches a date (such as the 30th of February)");
  }

  @Test
  void aBadTimeZoneNamesTheWindowAndTheField() {
    assertThatThrownBy(() -> windows(new Spec("0 3 * * 2", "Mars/Olympus_Mons", "1h")))
        .isInstanceOf(PkiException.class)
        .hasMessage("windows[0].timezone: 'Mars/Olympus_Mons' is not an IANA time zone name such as Europe/Berlin or UTC");
    assertThatThrownBy(() -> windows(new Spec("0 3 * * 2", "+02:00", "1h")))
        .hasMessageStartingWith("windows[0].timezone: '+02:00' is not an IANA time zone name");
  }

  @Test
  void aBadDurationNamesTheWindowAndTheField() {
    assertThatThrownBy(() -> windows(new Spec("0 3 * * 2", "UTC", "3 hours")))
        .isInstanceOf(PkiException.class)
        .hasMessage("windows[0].windowDuration: '3 hours' is not a duration such as 2160h, 45m or 1h30m");
    assertThatThrownBy(() -> windows(new Spec("0 3 * * 2", "UTC", "0s")))
        .hasMessage("windows[0].windowDuration: must be positive, such as 3h or 45m");
    assertThatThrownBy(() -> windows(new Spec("0 3 * * 2", "UTC", "-5m")))
        .hasMessageStartingWith("windows[0].windowDuration: ");
    assertThatThrownBy(() -> windows(new Spec("0 3 * * 2", "UTC", "745h")))
        .hasMessage("windows[0].windowDuration: '745h' is longer than 744h");
    assertThatThrownBy(() -> windows(new Spec("0 3 * * 2", "UTC", null)))
        .hasMessage("windows[0].windowDuration: a duration is empty");
  }

  @Test
  void goDurationsWithSeveralUnitsAreRead() {
    assertThat(windows(new Spec("0 3 * * *", "UTC", "1m30s")).windowAtOrAfter(at("2027-01-01T10:00:00Z")))
        .contains(window("2027-01-02T03:00:00Z", "2027-01-02T03:01:30Z"));
  }
}
