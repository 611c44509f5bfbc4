package io.arraypki.operator.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A leaf's time-based renewal waits for a renewal window, inside its last safe moment; requested
 * work and changes never wait. The leaf: issued 2026-11-22T12:00Z (a Sunday) for 90 days,
 * renewBefore 30 days, so due on Thursday 2027-01-21T12:00Z, last safe moment 2027-02-10T12:00Z.
 */
class LeafDecisionWindowsTest {
  private final CertificateAuthority ca = TestCerts.ca(KeySpec.ECDSA_P256, Duration.ofDays(3650));
  private final LeafProfile profile = TestCerts.profile(KeySpec.ECDSA_P256);
  private final X509Certificate leaf = issue();
  private static final Instant DUE = Instant.parse("2027-01-21T12:00:00Z");
  /** Tuesdays 03:00 in Berlin for three hours: the first after DUE opens 2027-01-26T02:00Z (CET). */
  private static final RenewalWindows TUESDAY_NIGHTS = RenewalWindows.parse(
      List.of(new RenewalWindows.Spec("0 3 * * TUE", "Europe/Berlin", "3h")));
  private static final Instant TUESDAY_OPENS = Instant.parse("2027-01-26T02:00:00Z");
  private static final Instant TUESDAY_CLOSES = Instant.parse("2027-01-26T05:00:00Z");

  private X509Certificate issue() {
    KeyPair keys = KeyPairs.generate(profile.keySpec());
    return CertificateIssuer.signLeaf(ca, profile.request(keys.getPublic(), TestCerts.NOW));
  }

  private LeafDecision decide(Instant now, boolean requested, RenewalWindows windows, double spread) {
    return LeafDecision.decide(leaf, profile, ca.certificate(), now, true, requested, windows, spread);
  }

  @Test
  void withoutWindowsARenewalIsDueAtNotAfterMinusRenewBeforeAsBefore() {
    assertThat(decide(DUE.minusSeconds(1), false, RenewalWindows.none(), 0.5).renewalTime()).isEqualTo(DUE);
    assertThat(decide(DUE, false, RenewalWindows.none(), 0.5).reason()).isEqualTo(LeafDecision.RENEWAL_DUE);
  }

  @Test
  void aDueRenewalWaitsForTheNextWindowAndRenewsInsideItWhereTheSpreadPutsIt() {
    LeafDecision atDue = decide(DUE, false, TUESDAY_NIGHTS, 0.5);
    assertThat(atDue.action()).isEqualTo(LeafDecision.Action.KEEP);
    assertThat(atDue.renewalTime()).isEqualTo(TUESDAY_OPENS.plus(Duration.ofSeconds(5250))); // half of 3h less its last 5m

    LeafDecision early = decide(DUE, false, TUESDAY_NIGHTS, 0.0);
    LeafDecision late = decide(DUE, false, TUESDAY_NIGHTS, 0.99);
    assertThat(early.renewalTime()).isEqualTo(TUESDAY_OPENS);
    assertThat(late.renewalTime()).as("the last tenth (at most 5m) is left free").isAfter(TUESDAY_OPENS
        .plus(Duration.ofMinutes(170))).isBefore(TUESDAY_CLOSES.minus(Duration.ofMinutes(5)));

    LeafDecision inWindow = decide(atDue.renewalTime(), false, TUESDAY_NIGHTS, 0.5);
    assertThat(inWindow.reason()).isEqualTo(LeafDecision.RENEWAL_DUE);
    assertThat(inWindow.outsideWindow()).as("inside a window: no Warning").isNull();
  }

  @Test
  void aWindowThatPassedUnusedMovesTheRenewalToTheNextWindowNotToAClosedMoment() {
    // the operator was down through Tuesday's window: on Wednesday it waits for the next Tuesday
    Instant wednesday = Instant.parse("2027-01-27T10:00:00Z");
    LeafDecision late = decide(wednesday, false, TUESDAY_NIGHTS, 0.5);
    assertThat(late.action()).isEqualTo(LeafDecision.Action.KEEP);
    assertThat(late.renewalTime()).isBetween(Instant.parse("2027-02-02T02:00:00Z"), Instant.parse("2027-02-02T05:00:00Z"));
    // up again inside the window, past its spread point: it renews at once
    assertThat(decide(TUESDAY_CLOSES.minusSeconds(60), false, TUESDAY_NIGHTS, 0.1).reason())
        .isEqualTo(LeafDecision.RENEWAL_DUE);
    // past the last safe moment, it renews outside the windows and says why
    LeafDecision pastSafe = decide(Instant.parse("2027-02-10T12:00:01Z"), false, TUESDAY_NIGHTS, 0.5);
    assertThat(pastSafe.reason()).isEqualTo(LeafDecision.RENEWAL_DUE);
    assertThat(pastSafe.outsideWindow()).isNotBlank();
  }

  @Test
  void aRenewRequestOrAChangeIsNeverDeferredByWindows() {
    assertThat(decide(DUE, true, TUESDAY_NIGHTS, 0.5).reason()).isEqualTo(LeafDecision.REQUESTED);
    assertThat(decide(TestCerts.NOW.plusSeconds(60), true, TUESDAY_NIGHTS, 0.5).reason())
        .as("long before it is due too").isEqualTo(LeafDecision.REQUESTED);
    CertificateAuthority other = TestCerts.ca(KeySpec.ECDSA_P256, Duration.ofDays(3650));
    assertThat(LeafDecision.decide(leaf, profile, other.certificate(), DUE, true, false, TUESDAY_NIGHTS, 0.5).reason())
        .isEqualTo(LeafDecision.SIGNED_BY_ANOTHER_CA);
  }

  @Test
  void whenNoWindowOpensBeforeTheLastSafeMomentItRenewsThenAndSaysWhy() {
    RenewalWindows julyOnly = RenewalWindows.parse(List.of(new RenewalWindows.Spec("0 3 1 7 *", "UTC", "1h")));
    Instant lastSafe = Instant.parse("2027-02-10T12:00:00Z");
    LeafDecision waiting = decide(DUE, false, julyOnly, 0.5);
    assertThat(waiting.action()).isEqualTo(LeafDecision.Action.KEEP);
    assertThat(waiting.renewalTime()).isEqualTo(lastSafe);

    LeafDecision forced = decide(lastSafe, false, julyOnly, 0.5);
    assertThat(forced.reason()).isEqualTo(LeafDecision.RENEWAL_DUE);
    assertThat(forced.outsideWindow()).isNotBlank();
  }
}
