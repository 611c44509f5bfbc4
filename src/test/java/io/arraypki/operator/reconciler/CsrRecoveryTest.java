package io.arraypki.operator.reconciler;

import static io.arraypki.operator.reconciler.Pki.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.pki.KeyPairs;
import io.arraypki.operator.pki.KeySpec;
import io.arraypki.operator.pki.Revocation;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestBuilder;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Bug 9: a crash between the CSR's status and the node's Secret left the Node in WaitingForCSR
 * for good, because a CSR with a certificate was never looked at again. The signer now decides
 * from the CSR and the Secret whether the CSR's certificate is to be written.
 */
class CsrRecoveryTest {
  private final io.arraypki.operator.pki.CertificateAuthority ca = Pki.ca("array g1");
  private final KeyPair tpm = KeyPairs.generate(KeySpec.ECDSA_P256);
  private final IssuedLeaf signed = IssuedLeaf.forPublicKey(ca, Pki.peer("n.a.example.com"), tpm.getPublic(), NOW,
      null);

  @Test
  void aSignedCertificateTheSecretNeverGotIsWritten() {
    assertThat(CsrRecovery.decide(Optional.empty(), signed.certificate(), tpm.getPublic(), ca.certificate(),
        List.of(), NOW.plusSeconds(30))).isEqualTo(CsrRecovery.Outcome.WRITE);
  }

  @Test
  void aSignedCertificateNewerThanWhatTheSecretHoldsIsWritten() {
    IssuedLeaf older = IssuedLeaf.forPublicKey(ca, Pki.peer("n.a.example.com"), tpm.getPublic(),
        NOW.minus(Duration.ofDays(2)), null);
    assertThat(CsrRecovery.decide(Optional.of(older.certificate()), signed.certificate(), tpm.getPublic(),
        ca.certificate(), List.of(), NOW.plusSeconds(30))).isEqualTo(CsrRecovery.Outcome.WRITE);
  }

  @Test
  void theCertificateTheSecretHoldsIsLeftAlone() {
    assertThat(CsrRecovery.decide(Optional.of(signed.certificate()), signed.certificate(), tpm.getPublic(),
        ca.certificate(), List.of(), NOW).write()).isFalse();
  }

  @Test
  void aLaterReSigningInTheSecretIsNeverReplacedByTheOldCsrCertificate() {
    IssuedLeaf later = IssuedLeaf.forPublicKey(ca, Pki.peer("n.a.example.com"), tpm.getPublic(),
        NOW.plus(Duration.ofDays(1)), null);
    assertThat(CsrRecovery.decide(Optional.of(later.certificate()), signed.certificate(), tpm.getPublic(),
        ca.certificate(), List.of(), NOW.plus(Duration.ofDays(1))))
        .isEqualTo(CsrRecovery.Outcome.SUPERSEDED);
  }

  @Test
  void aCertificateOfAnotherCaARevokedOneAnExpiredOneOrOneForAnotherKeyIsNeverWritten() {
    var other = Pki.ca("array g2");
    assertThat(CsrRecovery.decide(Optional.empty(), signed.certificate(), tpm.getPublic(), other.certificate(),
        List.of(), NOW)).isEqualTo(CsrRecovery.Outcome.OTHER_CA);
    var revoked = new Revocation(signed.certificate().getSerialNumber(), 1, NOW, NOW.plus(Duration.ofDays(90)),
        "n", "Renewed");
    assertThat(CsrRecovery.decide(Optional.empty(), signed.certificate(), tpm.getPublic(), ca.certificate(),
        List.of(revoked), NOW)).isEqualTo(CsrRecovery.Outcome.REVOKED);
    assertThat(CsrRecovery.decide(Optional.empty(), signed.certificate(), tpm.getPublic(), ca.certificate(),
        List.of(), NOW.plus(Duration.ofDays(91)))).isEqualTo(CsrRecovery.Outcome.EXPIRED);
    assertThat(CsrRecovery.decide(Optional.empty(), signed.certificate(),
        KeyPairs.generate(KeySpec.ECDSA_P256).getPublic(), ca.certificate(), List.of(), NOW))
        .isEqualTo(CsrRecovery.Outcome.NOT_FOR_THE_REQUESTED_KEY);
  }

  @Test
  void theNodeIsLookedUpByTheNameTheCsrGivesThenByTheFirstLabelOfItsCommonNameNotByListingEveryNode() {
    var named = new CertificateSigningRequestBuilder().withNewMetadata().withName("csr")
        .addToAnnotations(CsrSigner.NODE_ANNOTATION, "tpm-node").endMetadata().build();
    assertThat(CsrSigner.likelyNames(named, "tpm-1.tpm.example.com")).containsExactly("tpm-node", "tpm-1");
    var plain = new CertificateSigningRequestBuilder().withNewMetadata().withName("csr").endMetadata().build();
    assertThat(CsrSigner.likelyNames(plain, "tpm-1.tpm.example.com")).containsExactly("tpm-1");
    assertThat(CsrSigner.likelyNames(plain, "Not_A_Name.example.com")).isEmpty();
  }
}
