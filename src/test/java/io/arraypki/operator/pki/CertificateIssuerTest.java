package io.arraypki.operator.pki;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.support.Commands;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Set;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CertificateIssuerTest {
  @TempDir Path dir;

  static Stream<KeySpec> everyAlgorithm() {
    return Stream.of(
        new KeySpec(KeySpec.Algorithm.RSA, 2048),
        new KeySpec(KeySpec.Algorithm.RSA, 3072),
        new KeySpec(KeySpec.Algorithm.RSA, 4096),
        new KeySpec(KeySpec.Algorithm.ECDSA, 256),
        new KeySpec(KeySpec.Algorithm.ECDSA, 384),
        new KeySpec(KeySpec.Algorithm.ED25519, 0));
  }

  @ParameterizedTest
  @MethodSource("everyAlgorithm")
  void caIsASelfSignedV3CaWithPathlenZeroCriticalKeyUsageSkiAndA64BitSerial(KeySpec spec) throws Exception {
    CertificateAuthority ca = TestCerts.ca(spec, Duration.ofDays(3650));
    X509Certificate cert = ca.certificate();

    assertThat(cert.getVersion()).isEqualTo(3);
    assertThat(cert.getBasicConstraints()).isZero(); // CA:TRUE, pathlen 0
    assertThat(cert.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
    boolean[] usage = cert.getKeyUsage();
    assertThat(usage[5]).as("keyCertSign").isTrue();
    assertThat(usage[6]).as("cRLSign").isTrue();
    assertThat(usage[0]).as("digitalSignature").isFalse();
    assertThat(cert.getExtensionValue(Extension.subjectKeyIdentifier.getId())).isNotNull();
    assertThat(cert.getSerialNumber().signum()).isPositive();
    assertThat(cert.getSerialNumber().bitLength()).isGreaterThanOrEqualTo(64);
    assertThat(KeyPairs.specOf(cert.getPublicKey())).isEqualTo(spec);
    cert.verify(cert.getPublicKey(), Crypto.PROVIDER);

    Path pem = TestCerts.write(dir, "ca.pem", Pem.encode(cert));
    assertThat(Commands.openssl("verify", "-CAfile", pem.toString(), pem.toString()).orFail("openssl verify").output())
        .contains(": OK");
    assertThat(Commands.openssl("x509", "-in", pem.toString(), "-noout", "-text").output())
        .contains("CA:TRUE, pathlen:0")
        .contains("Certificate Sign, CRL Sign");
  }

  @ParameterizedTest
  @MethodSource("everyAlgorithm")
  void leafCarriesCnSansEkuSkiAkiAndVerifiesWithOpenssl(KeySpec spec) throws Exception {
    CertificateAuthority ca = TestCerts.ca(spec, Duration.ofDays(3650));
    LeafProfile profile = TestCerts.profile(spec);
    KeyPair keys = KeyPairs.generate(spec);
    X509Certificate leaf = CertificateIssuer.signLeaf(ca, profile.request(keys.getPublic(), TestCerts.NOW));

    assertThat(LeafDecision.commonName(leaf)).isEqualTo("node-a.sgd.example.com");
    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    assertThat(leaf.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
    boolean[] usage = leaf.getKeyUsage();
    assertThat(usage[0]).as("digitalSignature").isTrue();
    assertThat(usage[2]).as("keyEncipherment only for RSA").isEqualTo(spec.algorithm() == KeySpec.Algorithm.RSA);
    assertThat(leaf.getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    var holder = new JcaX509CertificateHolder(leaf);
    var caHolder = new JcaX509CertificateHolder(ca.certificate());
    byte[] aki = AuthorityKeyIdentifier.fromExtensions(holder.getExtensions()).getKeyIdentifier();
    byte[] caSki = SubjectKeyIdentifier.fromExtensions(caHolder.getExtensions()).getKeyIdentifier();
    assertThat(aki).isEqualTo(caSki);
    assertThat(SubjectKeyIdentifier.fromExtensions(holder.getExtensions())).isNotNull();

    Path caPem = TestCerts.write(dir, "ca.pem", Pem.encode(ca.certificate()));
    Path leafPem = TestCerts.write(dir, "leaf.pem", Pem.encode(leaf));
    assertThat(Commands.openssl("verify", "-CAfile", caPem.toString(), leafPem.toString()).orFail("verify").output())
        .contains(": OK");
    String text = Commands.openssl("x509", "-in", leafPem.toString(), "-noout", "-text").output();
    assertThat(text)
        .contains("Subject: CN = node-a.sgd.example.com")
        .contains("DNS:node-a.sgd.example.com, DNS:node-a.internal, IP Address:10.0.0.11, IP Address:FD00:0:0:0:0:0:0:11")
        .contains("TLS Web Server Authentication, TLS Web Client Authentication")
        .contains("CA:FALSE");
    assertThat(Commands.openssl("x509", "-in", leafPem.toString(), "-noout", "-checkhost", "node-a.internal").output())
        .contains("does match");
  }

  @ParameterizedTest
  @MethodSource("everyAlgorithm")
  void privateKeyPemLoadsInOpensslAndMatchesItsCertificate(KeySpec spec) throws Exception {
    KeyPair keys = KeyPairs.generate(spec);
    Path key = TestCerts.write(dir, "key.pem", Pem.encodePrivateKey(keys.getPrivate()));
    String publicFromKey = Commands.openssl("pkey", "-in", key.toString(), "-pubout").orFail("openssl pkey").output();
    assertThat(publicFromKey).isEqualTo(Pem.encode(keys.getPublic()).replace("\r\n", "\n"));
    assertThat(KeyPairs.matches(Pem.privateKey(Pem.encodePrivateKey(keys.getPrivate()), "key"), keys.getPublic()))
        .isTrue();
  }

  @Test
  void aNameLongerThanACommonNameMayBeIsInTheSanOnlyWithAnEmptySubjectAndACriticalSanAndIsKept()
      throws Exception {
    String longName = String.join(".", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61));
    CertificateAuthority ca = TestCerts.ca(KeySpec.ECDSA_P256, Duration.ofDays(3650));
    LeafProfile profile = new LeafProfile(longName, List.of(longName), List.of(), List.of(),
        Set.of(Usage.SERVER_AUTH), KeySpec.ECDSA_P256, Duration.ofDays(90), Duration.ofDays(30));
    KeyPair keys = KeyPairs.generate(KeySpec.ECDSA_P256);
    X509Certificate leaf = CertificateIssuer.signLeaf(ca, profile.request(keys.getPublic(), TestCerts.NOW));

    assertThat(leaf.getSubjectX500Principal().getName()).isEmpty();
    assertThat(leaf.getCriticalExtensionOIDs()).contains("2.5.29.17");
    assertThat(LeafDecision.issuedFor(leaf)).isEqualTo(longName);
    assertThat(LeafDecision.decide(leaf, profile, ca.certificate(), TestCerts.NOW, true, false).issue())
        .as("the certificate matches its profile").isFalse();
    Path caPem = TestCerts.write(dir, "ca.pem", Pem.encode(ca.certificate()));
    Path leafPem = TestCerts.write(dir, "long.pem", Pem.encode(leaf));
    assertThat(Commands.openssl("verify", "-CAfile", caPem.toString(), leafPem.toString()).orFail("verify").output())
        .contains(": OK");
    assertThat(Commands.openssl("x509", "-in", leafPem.toString(), "-noout", "-checkhost", longName).output())
        .contains("does match");
  }

  @Test
  void leafNeverOutlivesItsCa() {
    CertificateAuthority ca = TestCerts.ca(KeySpec.ECDSA_P256, Duration.ofDays(10));
    KeyPair keys = KeyPairs.generate(KeySpec.ECDSA_P256);
    X509Certificate leaf = CertificateIssuer.signLeaf(ca,
        TestCerts.profile(KeySpec.ECDSA_P256).request(keys.getPublic(), TestCerts.NOW));
    assertThat(leaf.getNotAfter()).isEqualTo(ca.certificate().getNotAfter());
  }

  @Test
  void twoCasOfTheSameSubjectTemplateDifferByGenerationInTheirCommonName() {
    KeyPair keys = KeyPairs.generate(KeySpec.ECDSA_P256);
    var g1 = CertificateIssuer.selfSignedCa(CaSubject.of(CaSubject.commonNameFor("sgd", 1)), keys,
        TestCerts.NOW, TestCerts.NOW.plus(Duration.ofDays(1)));
    var g2 = CertificateIssuer.selfSignedCa(CaSubject.of(CaSubject.commonNameFor("sgd", 2)), keys,
        TestCerts.NOW, TestCerts.NOW.plus(Duration.ofDays(1)));
    assertThat(g1.getSubjectX500Principal()).isNotEqualTo(g2.getSubjectX500Principal());
    assertThat(g1.getSubjectX500Principal().getName()).isEqualTo("CN=sgd CA g1");
  }
}
