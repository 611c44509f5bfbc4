package io.arraypki.operator.pki;

import java.math.BigInteger;
import java.security.cert.CRLException;
import java.security.cert.X509CRL;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;

/** X.509 v2 CRLs: signed by the CA that issued the revoked certificates. */
public final class Crls {
  private Crls() {}

  /** RFC 5280 reason codes for the operator's reasons. */
  static int reasonCode(String reason) {
    return switch (reason == null ? "" : reason) {
      case "Renewed" -> CRLReason.superseded;
      case "Demoted" -> CRLReason.affiliationChanged;
      default -> CRLReason.cessationOfOperation;
    };
  }

  /**
   * A CRL of {@code ca} listing the revocations it issued that have not expired, with CRL number
   * and authority key identifier, valid from {@code now} for {@code validity}.
   */
  public static X509CRL issue(CertificateAuthority ca, long generation, Collection<Revocation> revocations,
      BigInteger number, Instant now, Duration validity) {
    try {
      X509v2CRLBuilder builder = new JcaX509v2CRLBuilder(ca.certificate().getSubjectX500Principal(), Date.from(now))
          .setNextUpdate(Date.from(now.plus(validity)))
          .addExtension(Extension.cRLNumber, false, new CRLNumber(number))
          .addExtension(Extension.authorityKeyIdentifier, false,
              new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca.certificate()));
      for (Revocation r : revocations) {
        if (r.caGeneration() == generation && r.notAfter().isAfter(now)) {
          builder.addCRLEntry(r.serial(), Date.from(r.revokedAt()), reasonCode(r.reason()));
        }
      }
      return new JcaX509CRLConverter().setProvider(Crypto.PROVIDER)
          .getCRL(builder.build(Signatures.signer(ca.key(), ca.certificate().getPublicKey())));
    } catch (CertIOException | NoSuchAlgorithmException | java.security.cert.CertificateEncodingException
        | CRLException e) {
      throw new PkiException("cannot build CRL", e);
    }
  }
}
