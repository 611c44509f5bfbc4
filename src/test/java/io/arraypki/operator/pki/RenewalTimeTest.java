package io.arraypki.operator.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.arraypki.operator.pki.RenewalTime.CertificateKind;
import io.arraypki.operator.pki.RenewalTime.Kind;
import io.arraypki.operator.pki.RenewalWindows.Spec;
import io.arraypki.operator.pki.RenewalWindows.Window;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RenewalTimeTest {
  /** Tuesdays 03:00 in Berlin for 3h: 2027-01-05 and 2027-01-12 from 02:00Z to 05:00Z. */
  private static final RenewalWindows TUESDAYS =
      RenewalWindows.parse(List.of(new Spec("0 3 * * 2", "Europe/Berlin", "3h")));
  private static final Window FIRST_TUESDAY = window("2027-01-05T02:00:00Z", "2027-01-05T05:00:00Z");
  private static final Window SECOND_TUESDAY = window("2027-01-12T02:00:00Z", "2027-01-12T05:00:00Z");
  private static final Instant LATE = at("2027-01-20T00:00:00Z");

  private static Instant at(String text) {
    return Instant.parse(text);
  }

  private static Window window(String start, String end) {
    return new Window(at(start), at(end));
  }

  @Test
  void withoutWindowsARenewalHappensWhenDue() {
    Instant due = at("2027-01-07T12:00:00Z");
    assertThat(RenewalTime.decide(due, LATE, 0.7, RenewalWindows.none()))
        .isEqualTo(new RenewalTime(due, Kind.NO_WINDOWS, null, ""));
  }

  @Test
  void dueInsideAWindowIsSpreadOverTheRestOfIt() {
    Instant due = at("2027-01-05T03:00:00Z");
    assertThat(RenewalTime.decide(due, LATE, 0.0, TUESDAYS))
        .isEqualTo(new RenewalTime(due, Kind.IN_WINDOW, FIRST_TUESDAY, ""));
    assertThat(RenewalTime.decide(due, LATE, 0.5, TUESDAYS).at()).isEqualTo(at("2027-01-05T03:57:30Z")); // half of 2h less its last 5m
  }

  @Test
  void dueJustAfterAWindowEndsWaitsForTheNextOne() {
    RenewalTime atTheEnd = RenewalTime.decide(FIRST_TUESDAY.end(), LATE, 0.0, TUESDAYS);
    assertThat(atTheEnd).isEqualTo(new RenewalTime(SECOND_TUESDAY.start(), Kind.IN_WINDOW, SECOND_TUESDAY, ""));
    assertThat(RenewalTime.decide(at("2027-01-05T05:00:01Z"), LATE, 0.0, TUESDAYS).window()).isEqualTo(SECOND_TUESDAY);
  }

  @Test
  void differentKeysRenewAtDifferentTimesWithinTheWindow() {
    Instant due = at("2027-01-06T00:00:00Z");
    RenewalTime a = RenewalTime.decide(due, LATE, RenewalTime.spread("node-a"), TUESDAYS);
    RenewalTime b = RenewalTime.decide(due, LATE, RenewalTime.spread("node-b"), TUESDAYS);
    assertThat(a.at()).isEqualTo(at("2027-01-12T03:09:57Z")); // 0.39977 of 3h less its last 5m, whole seconds
    assertThat(b.at()).isEqualTo(at("2027-01-12T03:41:07Z")); // 0.57787 of 3h less its last 5m
    assertThat(List.of(a.at(), b.at())).allMatch(SECOND_TUESDAY::contains);
  }

  @Test
  void theSpreadIsAStableFunctionOfTheKey() {
    // pinned: a change would move every member's renewal time
    assertThat(RenewalTime.spread("")).isEqualTo(0.8894159948913373); // SHA-256 e3b0c44298fc1c14...
    assertThat(RenewalTime.spread("node-a")).isEqualTo(0.39976596467943337);
    assertThat(RenewalTime.spread("3f2a6c1e-8c53-4b0e-9d35-2a3b5c1d7e90")).isBetween(0.0, 1.0);
  }

  @Test
  void theUsablePartOfAWindowEndsAtTheLastSafeMomentLessItsLastTenthAtMostFiveMinutes() {
    Instant due = at("2027-01-05T06:00:00Z");
    Instant lastSafe = at("2027-01-12T03:00:00Z");
    RenewalTime almostOne = RenewalTime.decide(due, lastSafe, 0.9999999999999999, TUESDAYS);
    assertThat(almostOne).isEqualTo(new RenewalTime(at("2027-01-12T02:54:59Z"), Kind.IN_WINDOW, SECOND_TUESDAY, ""));
  }

  @Test
  void whenTheNextWindowIsTooLateTheRenewalHappensAtTheLastSafeMoment() {
    Instant due = at("2027-01-05T06:00:00Z");
    Instant lastSafe = at("2027-01-10T00:00:00Z");
    assertThat(RenewalTime.decide(due, lastSafe, 0.3, TUESDAYS)).isEqualTo(new RenewalTime(lastSafe,
        Kind.LAST_SAFE_MOMENT, null, "no renewal window opens between 2027-01-05T06:00:00Z and 2027-01-10T00:00:00Z"
            + " (the next opens at 2027-01-12T02:00:00Z); renewing at the last safe moment"));
    // a window opening right at the last safe moment is too late as well
    assertThat(RenewalTime.decide(due, SECOND_TUESDAY.start(), 0.3, TUESDAYS).kind()).isEqualTo(Kind.LAST_SAFE_MOMENT);
  }

  @Test
  void dueAtOrAfterTheLastSafeMomentRenewsWhenDue() {
    Instant due = at("2027-01-05T06:00:00Z");
    RenewalTime late = RenewalTime.decide(due, due.minusSeconds(1), 0.3, TUESDAYS);
    assertThat(late.at()).isEqualTo(due);
    assertThat(late.kind()).isEqualTo(Kind.LAST_SAFE_MOMENT);
    assertThat(late.message()).isEqualTo("renewal was due at 2027-01-05T06:00:00Z, not before its last safe moment"
        + " 2027-01-05T05:59:59Z; renewing without waiting for a renewal window");
  }

  @Test
  void aSpreadOutsideZeroToOneIsRefused() {
    assertThatThrownBy(() -> RenewalTime.decide(LATE, LATE, 1.0, TUESDAYS)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RenewalTime.decide(LATE, LATE, Double.NaN, TUESDAYS)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theLastSafeMomentKeepsAThirdOfTheEffectiveRenewBefore() {
    Instant notBefore = at("2027-01-01T00:00:00Z");
    Instant notAfter = notBefore.plus(Duration.ofDays(90));
    Duration renewBefore = Duration.ofDays(30);
    assertThat(LeafDecision.renewalTime(notBefore, notAfter, renewBefore)).isEqualTo(notBefore.plus(Duration.ofDays(60)));
    assertThat(RenewalTime.lastSafe(notBefore, notAfter, renewBefore)).isEqualTo(notBefore.plus(Duration.ofDays(80)));
    assertThat(RenewalTime.deferralRoom(Duration.ofDays(90), renewBefore)).isEqualTo(Duration.ofDays(20));
    // renewBefore not shorter than the lifetime: renewal is due two thirds in, a ninth of it is the margin
    Instant cut = notBefore.plus(Duration.ofDays(9));
    assertThat(LeafDecision.renewalTime(notBefore, cut, renewBefore)).isEqualTo(notBefore.plus(Duration.ofDays(6)));
    assertThat(RenewalTime.lastSafe(notBefore, cut, renewBefore)).isEqualTo(notBefore.plus(Duration.ofDays(8)));
    assertThat(RenewalTime.deferralRoom(Duration.ofDays(9), renewBefore)).isEqualTo(Duration.ofDays(2));
  }

  @Test
  void unsatisfiableWindowsNameTheKindAndTheFix() {
    Instant now = at("2027-01-01T10:00:00Z");
    var peers = new CertificateKind("peerCertificates", Duration.ofHours(2160), Duration.ofHours(36));
    var servers = new CertificateKind("serverCertificates", Duration.ofHours(2160), Duration.ofHours(720));
    // the longest gap in the next 400 days: the week of fall back, 7d - 3h + 1h
    assertThat(RenewalTime.unsatisfiable(TUESDAYS, now, List.of(servers, peers))).contains(
        "renewal windows leave up to 166h between openings, but peerCertificates can wait at most 24h"
            + " (two thirds of renewBefore 36h): open a window more often or raise peerCertificates.renewBefore above 249h");
    assertThat(RenewalTime.unsatisfiable(TUESDAYS, now, List.of(servers))).isEmpty();
  }

  @Test
  void aRoomAsLongAsTheWaitIsNotEnough() {
    Instant now = at("2027-01-01T10:00:00Z");
    Duration duration = Duration.ofHours(2160);
    assertThat(RenewalTime.unsatisfiable(TUESDAYS, now,
        List.of(new CertificateKind("peers", duration, Duration.ofHours(249))))).isPresent(); // room 166h
    assertThat(RenewalTime.unsatisfiable(TUESDAYS, now,
        List.of(new CertificateKind("peers", duration, Duration.ofHours(249).plusSeconds(3))))).isEmpty();
  }

  @Test
  void theFixForAShortCertificateRaisesItsDurationToo() {
    Instant now = at("2027-01-01T10:00:00Z");
    assertThat(RenewalTime.unsatisfiable(TUESDAYS, now,
        List.of(new CertificateKind("clients", Duration.ofHours(200), Duration.ofHours(36))))).contains(
        "renewal windows leave up to 166h between openings, but clients can wait at most 24h (two thirds of renewBefore"
            + " 36h): open a window more often or raise clients.renewBefore above 249h and clients.duration above that");
    assertThat(RenewalTime.unsatisfiable(TUESDAYS, now,
        List.of(new CertificateKind("daily", Duration.ofHours(24), Duration.ofHours(48))))).contains(
        "renewal windows leave up to 166h between openings, but daily can wait at most 5h20m (two thirds of a third"
            + " of duration 24h, as renewBefore is not shorter than duration): open a window more often or raise"
            + " daily.renewBefore above 249h and daily.duration above that");
  }

  @Test
  void roomsOfMinutesAreJudgedExactlyWindowByWindowOverAShorterHorizon() {
    // windows every minute (or every ten) cannot be walked one by one over 400 days; certificates
    // renewed within minutes are judged on their own, exactly, over days
    Instant now = at("2027-01-01T10:00:00Z");
    RenewalWindows everyMinute = RenewalWindows.parse(List.of(new Spec("* * * * *", "UTC", "30s")));
    assertThat(RenewalTime.unsatisfiable(everyMinute, now,
        List.of(new CertificateKind("peers", Duration.ofHours(1), Duration.ofMinutes(15))))).isEmpty();
    RenewalWindows everyTen = RenewalWindows.parse(List.of(new Spec("*/10 * * * *", "UTC", "1m")));
    assertThat(RenewalTime.unsatisfiable(everyTen, now,
        List.of(new CertificateKind("peers", Duration.ofHours(1), Duration.ofMinutes(15))))).isEmpty();
    assertThat(RenewalTime.unsatisfiable(everyTen, now,
        List.of(new CertificateKind("peers", Duration.ofHours(1), Duration.ofMinutes(12))))).contains(
        "renewal windows leave up to 9m between openings, but peers can wait at most 8m (two thirds of renewBefore"
            + " 12m): open a window more often or raise peers.renewBefore above 13m30s");
    assertThat(RenewalTime.checkHorizon(List.of(new CertificateKind("peers", Duration.ofHours(1),
        Duration.ofMinutes(12))))).isEqualTo(Duration.ofMinutes(8).multipliedBy(2000));
  }

  @Test
  void withoutWindowsEveryKindIsSatisfied() {
    assertThat(RenewalTime.unsatisfiable(RenewalWindows.none(), LATE,
        List.of(new CertificateKind("peers", Duration.ofHours(24), Duration.ofMinutes(1))))).isEmpty();
  }

  @Test
  void theCheckLooksFurtherThanFourHundredDaysForALongerRoom() {
    var yearly = new CertificateKind("caCertificates", Duration.ofDays(3650), Duration.ofDays(900));
    assertThat(RenewalTime.checkHorizon(List.of(yearly))).isEqualTo(Duration.ofDays(600));
    assertThat(RenewalTime.checkHorizon(List.of())).isEqualTo(Duration.ofDays(400));
  }
}
