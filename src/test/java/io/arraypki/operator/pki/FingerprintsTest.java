package io.arraypki.operator.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.arraypki.operator.support.Commands;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FingerprintsTest {
  @TempDir Path dir;
  private final CertificateAuthority ca = TestCerts.ca(KeySpec.ECDSA_P256, Duration.ofDays(1));

  @Test
  void fingerprintIsWhatOpensslPrints() {
    Path pem = TestCerts.write(dir, "ca.pem", Pem.encode(ca.certificate()));
    String openssl = Commands.openssl("x509", "-in", pem.toString(), "-noout", "-fingerprint", "-sha256").output().trim();
    // openssl prints "sha256 Fingerprint=AB:CD:..." (3.x) or "SHA256 Fingerprint=..." (1.1)
    String hex = openssl.substring(openssl.indexOf('=') + 1);
    assertThat(Fingerprints.fingerprint(ca.certificate())).isEqualTo("SHA256:" + hex);
    assertThat(Fingerprints.digest(ca.certificate())).isEqualTo("sha256:" + hex.replace(":", "").toLowerCase(Locale.ROOT));
  }

  @Test
  void pinsMatchInAnyCaseWithOrWithoutColonsAndPrefix() {
    String fp = Fingerprints.fingerprint(ca.certificate());
    String bare = fp.substring(7);
    assertThat(Fingerprints.pinMatches(fp, ca.certificate())).isTrue();
    assertThat(Fingerprints.pinMatches(fp.toLowerCase(Locale.ROOT), ca.certificate())).isTrue();
    assertThat(Fingerprints.pinMatches(bare.replace(":", ""), ca.certificate())).isTrue();
    assertThat(Fingerprints.pinMatches("SHA-256:" + bare.toLowerCase(Locale.ROOT), ca.certificate())).isTrue();
    CertificateAuthority other = TestCerts.ca(KeySpec.ECDSA_P256, Duration.ofDays(1));
    assertThat(Fingerprints.pinMatches(fp, other.certificate())).isFalse();
  }

  @Test
  void aMalformedPinIsAClearError() {
    assertThatThrownBy(() -> Fingerprints.normalizePin("SHA256:AB:CD"))
        .isInstanceOf(PkiException.class)
        .hasMessageContaining("32 bytes of hex");
  }

  @Test
  void shortFormIsTheFirstFourBytes() {
    assertThat(Fingerprints.shortForm("SHA256:AB:CD:EF:01:23:45")).isEqualTo("AB:CD:EF:01");
  }
}
