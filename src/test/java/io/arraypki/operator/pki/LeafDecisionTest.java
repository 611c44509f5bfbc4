package io.arraypki.operator.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LeafDecisionTest {
  private final CertificateAuthority ca = TestCerts.ca(KeySpec.ECDSA_P256, Duration.ofDays(3650));
  private final LeafProfile profile = TestCerts.profile(KeySpec.ECDSA_P256);
  private final X509Certificate leaf = issue(ca, profile);

  private static X509Certificate issue(CertificateAuthority ca, LeafProfile profile) {
    KeyPair keys = KeyPairs.generate(profile.keySpec());
    return CertificateIssuer.signLeaf(ca, profile.request(keys.getPublic(), TestCerts.NOW));
  }

  @Test
  void noCertificateIsIssued() {
    assertThat(LeafDecision.decide(null, profile, ca.certificate(), TestCerts.NOW, true, false).reason())
        .isEqualTo(LeafDecision.NOT_ISSUED);
  }

  @Test
  void aFreshMatchingCertificateIsKeptUntilNotAfterMinusRenewBefore() {
    var decision = LeafDecision.decide(leaf, profile, ca.certificate(), TestCerts.NOW.plus(Duration.ofDays(59)), true, false);
    assertThat(decision.action()).isEqualTo(LeafDecision.Action.KEEP);
    assertThat(decision.renewalTime()).isEqualTo(TestCerts.NOW.plus(Duration.ofDays(60)));
  }

  @Test
  void renewalIsDueAtNotAfterMinusRenewBefore() {
    var decision = LeafDecision.decide(leaf, profile, ca.certificate(), TestCerts.NOW.plus(Duration.ofDays(60)), true, false);
    assertThat(decision.reason()).isEqualTo(LeafDecision.RENEWAL_DUE);
  }

  @Test
  void aCertificateOfAnotherCaIsReissued() {
    CertificateAuthority other = TestCerts.ca(KeySpec.ECDSA_P256, Duration.ofDays(3650));
    assertThat(LeafDecision.decide(leaf, profile, other.certificate(), TestCerts.NOW, true, false).reason())
        .isEqualTo(LeafDecision.SIGNED_BY_ANOTHER_CA);
  }

  @Test
  void changedNamesUsagesKeyOrDurationAreReissued() {
    var renamed = new LeafProfile(profile.commonName(), List.of(profile.commonName()), profile.ipAddresses(),
        List.of(), profile.usages(), profile.keySpec(), profile.duration(), profile.renewBefore());
    var serverOnly = new LeafProfile(profile.commonName(), profile.dnsNames(), profile.ipAddresses(), List.of(),
        Set.of(Usage.SERVER_AUTH), profile.keySpec(), profile.duration(), profile.renewBefore());
    var rsa = new LeafProfile(profile.commonName(), profile.dnsNames(), profile.ipAddresses(), List.of(),
        profile.usages(), new KeySpec(KeySpec.Algorithm.RSA, 2048), profile.duration(), profile.renewBefore());
    var longer = new LeafProfile(profile.commonName(), profile.dnsNames(), profile.ipAddresses(), List.of(),
        profile.usages(), profile.keySpec(), Duration.ofDays(180), profile.renewBefore());
    var now = TestCerts.NOW;
    assertThat(LeafDecision.decide(leaf, renamed, ca.certificate(), now, true, false).reason()).isEqualTo(LeafDecision.NAMES_CHANGED);
    assertThat(LeafDecision.decide(leaf, serverOnly, ca.certificate(), now, true, false).reason()).isEqualTo(LeafDecision.USAGES_CHANGED);
    assertThat(LeafDecision.decide(leaf, rsa, ca.certificate(), now, true, false).reason()).isEqualTo(LeafDecision.KEY_CHANGED);
    assertThat(LeafDecision.decide(leaf, rsa, ca.certificate(), now, false, false).action()).isEqualTo(LeafDecision.Action.KEEP);
    assertThat(LeafDecision.decide(leaf, longer, ca.certificate(), now, true, false).reason()).isEqualTo(LeafDecision.DURATION_CHANGED);
  }

  @Test
  void aRenewRequestReissues() {
    assertThat(LeafDecision.decide(leaf, profile, ca.certificate(), TestCerts.NOW, true, true).reason())
        .isEqualTo(LeafDecision.REQUESTED);
  }

  @Test
  void aLeafCutToItsCasEndIsNotReissuedForItsDurationAndRenewsTwoThirdsIn() {
    CertificateAuthority shortCa = TestCerts.ca(KeySpec.ECDSA_P256, Duration.ofDays(9));
    X509Certificate cut = issue(shortCa, profile);
    var decision = LeafDecision.decide(cut, profile, shortCa.certificate(), TestCerts.NOW, true, false);
    assertThat(decision.action()).isEqualTo(LeafDecision.Action.KEEP);
    assertThat(decision.renewalTime()).isEqualTo(TestCerts.NOW.plus(Duration.ofDays(6)));
  }
}
