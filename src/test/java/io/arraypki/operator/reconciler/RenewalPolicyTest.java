package io.arraypki.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ClusterArraySpec;
import io.arraypki.operator.api.PeerCertificatesSpec;
import io.arraypki.operator.api.RenewalSpec;
import io.arraypki.operator.api.RenewalWindowSpec;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which renewal windows the operator applies, and why it refuses the others (cert-manager's bug 9146). */
class RenewalPolicyTest {
  private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");

  private static ClusterArraySpec spec(String cron, String zone, String duration) {
    ClusterArraySpec spec = new ClusterArraySpec();
    spec.primary = "a";
    spec.renewal = new RenewalSpec();
    RenewalWindowSpec w = new RenewalWindowSpec();
    w.cron = cron;
    w.timezone = zone;
    w.windowDuration = duration;
    spec.renewal.windows = List.of(w);
    return spec;
  }

  private static RenewalPolicy policy(ClusterArraySpec spec) {
    return RenewalPolicy.of(spec, ArraySettings.of(spec), NOW);
  }

  @Test
  void anArrayWithoutWindowsRenewsWhenDue() {
    ClusterArraySpec spec = new ClusterArraySpec();
    RenewalPolicy policy = policy(spec);
    assertThat(policy.verdict()).isEqualTo(RenewalPolicy.Verdict.NoWindows);
    assertThat(policy.windows().isEmpty()).isTrue();
    assertThat(policy.refused()).isFalse();
  }

  @Test
  void aWeeklyWindowIsAcceptedForTheDefaultDurations() {
    RenewalPolicy policy = policy(spec("0 3 * * TUE", "Europe/Berlin", "3h"));
    assertThat(policy.verdict()).isEqualTo(RenewalPolicy.Verdict.Accepted);
    assertThat(policy.windows().isEmpty()).isFalse();
  }

  @Test
  void aYearlyWindowCannotBeSatisfiedByNinetyDayCertificatesAndIsRefusedNamingTheFix() {
    RenewalPolicy policy = policy(spec("0 3 1 1 *", "Europe/Berlin", "1h"));
    assertThat(policy.verdict()).isEqualTo(RenewalPolicy.Verdict.Unsatisfiable);
    assertThat(policy.windows().isEmpty()).as("refused: renewals happen when due").isTrue();
    assertThat(policy.message()).contains("peerCertificates").contains("renewBefore");
  }

  @Test
  void aWindowThatFitsTheDefaultsButNotShortCertificatesIsRefusedForThem() {
    ClusterArraySpec spec = spec("0 3 * * TUE", "UTC", "1h");
    spec.peerCertificates = new PeerCertificatesSpec();
    spec.peerCertificates.duration = "72h";
    spec.peerCertificates.renewBefore = "24h";
    RenewalPolicy policy = policy(spec);
    assertThat(policy.verdict()).isEqualTo(RenewalPolicy.Verdict.Unsatisfiable);
    assertThat(policy.message()).contains("peerCertificates");
  }

  @Test
  void anUnknownTimeZoneIsRefusedNamingTheField() {
    RenewalPolicy policy = policy(spec("0 3 * * TUE", "Mars/Olympus_Mons", "1h"));
    assertThat(policy.verdict()).isEqualTo(RenewalPolicy.Verdict.Invalid);
    assertThat(policy.message()).contains("windows[0].timezone");
  }
}
