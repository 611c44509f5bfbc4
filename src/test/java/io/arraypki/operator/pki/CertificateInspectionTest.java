package io.arraypki.operator.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.bouncycastle.cert.X509CRLHolder;
import org.junit.jupiter.api.Test;

class CertificateInspectionTest {
  private static final CertificateAuthority GENERATION_1 = TestCerts.ca(KeySpec.ECDSA_P256, Duration.ofDays(3650));
  private static final CertificateAuthority GENERATION_2 = TestCerts.ca(KeySpec.ECDSA_P256, Duration.ofDays(3650));
  private static final Map<X509Certificate, String> TRUSTED =
      Map.of(GENERATION_1.certificate(), "CA generation 1", GENERATION_2.certificate(), "CA generation 2");

  private static X509Certificate leaf(CertificateAuthority ca, KeyPair keys) {
    return CertificateIssuer.signLeaf(ca, TestCerts.profile(KeySpec.ECDSA_P256).request(keys.getPublic(), TestCerts.NOW));
  }

  private static X509CRLHolder crl(CertificateAuthority ca, BigInteger... revoked) throws Exception {
    List<Revocation> revocations = java.util.Arrays.stream(revoked).map(serial -> new Revocation(serial, 1,
        TestCerts.NOW, TestCerts.NOW.plus(Duration.ofDays(90)), "node-a", "superseded")).toList();
    return new X509CRLHolder(Crls.issue(ca, 1, revocations, BigInteger.ONE, TestCerts.NOW, Duration.ofDays(7))
        .getEncoded());
  }

  @Test
  void namesTheTrustedCaThatSignedTheLeafByItsSignatureAmongCasOfTheSameSubject() throws Exception {
    KeyPair keys = KeyPairs.generate(KeySpec.ECDSA_P256);
    X509Certificate leaf = leaf(GENERATION_2, keys);

    var inspected = CertificateInspection.inspect(Pem.encode(leaf), TRUSTED,
        List.of(crl(GENERATION_1), crl(GENERATION_2)), TestCerts.NOW);

    assertThat(inspected).singleElement().satisfies(c -> {
      assertThat(c.signedBy()).isEqualTo("CA generation 2");
      assertThat(c.revocation()).startsWith("not revoked, CRL next update ");
      assertThat(c.names()).containsExactly("DNS:node-a.sgd.example.com", "DNS:node-a.internal", "IP:10.0.0.11",
          "IP:fd00:0:0:0:0:0:0:11");
      assertThat(c.extendedKeyUsages()).containsExactlyInAnyOrder("serverAuth", "clientAuth");
      assertThat(c.fingerprint()).isEqualTo(Fingerprints.fingerprint(leaf));
      assertThat(c.serialNumber()).isEqualTo(leaf.getSerialNumber().toString(16));
      assertThat(c.ca()).isFalse();
    });
  }

  @Test
  void aSerialOnTheSigningCasCrlIsShownRevokedAndTheSameSerialOnAnotherCasCrlIsNot() throws Exception {
    X509Certificate leaf = leaf(GENERATION_1, KeyPairs.generate(KeySpec.ECDSA_P256));

    var revoked = CertificateInspection.inspect(Pem.encode(leaf), TRUSTED,
        List.of(crl(GENERATION_1, leaf.getSerialNumber())), TestCerts.NOW);
    var listedByTheOtherCa = CertificateInspection.inspect(Pem.encode(leaf), TRUSTED,
        List.of(crl(GENERATION_2, leaf.getSerialNumber()), crl(GENERATION_1)), TestCerts.NOW);

    assertThat(revoked.get(0).revocation()).startsWith("REVOKED at " + TestCerts.NOW);
    assertThat(listedByTheOtherCa.get(0).revocation()).startsWith("not revoked");
  }

  @Test
  void aLeafOfAnUntrustedCaSaysSoAndHasNoRevocationVerdict() {
    CertificateAuthority stranger = TestCerts.ca(KeySpec.ECDSA_P256, Duration.ofDays(30));
    var inspected = CertificateInspection.inspect(
        Pem.encode(leaf(stranger, KeyPairs.generate(KeySpec.ECDSA_P256))), TRUSTED, List.of(), TestCerts.NOW);
    assertThat(inspected.get(0).signedBy()).isEqualTo("no CA the array trusts");
    assertThat(inspected.get(0).revocation()).startsWith("unknown");
  }

  @Test
  void aPrivateKeyIsCheckedAgainstTheCertificateAndNeverEchoed() {
    KeyPair keys = KeyPairs.generate(KeySpec.ECDSA_P256);
    X509Certificate leaf = leaf(GENERATION_1, keys);
    String keyPem = Pem.encodePrivateKey(keys.getPrivate());
    String otherKeyPem = Pem.encodePrivateKey(KeyPairs.generate(KeySpec.ECDSA_P256).getPrivate());

    assertThat(CertificateInspection.keyMatch(keyPem, leaf)).isEqualTo("matches the certificate");
    assertThat(CertificateInspection.keyMatch(otherKeyPem, leaf)).isEqualTo("DOES NOT MATCH the certificate");
    String garbage = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assertThat(CertificateInspection.keyMatch(garbage, leaf)).startsWith("unreadable").doesNotContain("AAAA");
  }
}
