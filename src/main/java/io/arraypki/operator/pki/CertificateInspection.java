package io.arraypki.operator.pki;

import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CRLEntryHolder;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

/**
 * Decodes what a member holds, as {@code cmctl inspect secret} does: each certificate of a chain,
 * which trusted CA signed it (by its signature, not its issuer name), and whether that CA's CRL
 * lists it. Pure: PEM text in, records out. A private key is only checked against the certificate;
 * nothing of it is kept.
 */
public final class CertificateInspection {
  private CertificateInspection() {}

  /** One certificate of a chain. */
  public record Certificate(
      String subject,
      String issuer,
      String serialNumber,
      Instant notBefore,
      Instant notAfter,
      boolean ca,
      List<String> names,
      String key,
      List<String> extendedKeyUsages,
      String fingerprint,
      String signedBy,
      String revocation) {}

  /** Which CA of a bundle signed a certificate, and what its CRL says of it. */
  public enum RevocationState {
    NOT_REVOKED,
    REVOKED,
    NO_CRL
  }

  private static final Map<String, String> USAGE_NAMES = Map.of(
      "1.3.6.1.5.5.7.3.1", "serverAuth",
      "1.3.6.1.5.5.7.3.2", "clientAuth",
      "1.3.6.1.5.5.7.3.4", "emailProtection",
      "1.3.6.1.5.5.7.3.8", "timeStamping");

  /**
   * @param chainPem the certificates a Secret holds ({@code tls.crt}), leaf first
   * @param trustedCas the CAs the array trusts, with the names to show for them (for example
   *     "CA generation 2 SHA256:AB:...")
   * @param crls the array's CRLs (one per trusted CA), may be empty
   */
  public static List<Certificate> inspect(String chainPem, Map<X509Certificate, String> trustedCas,
      Collection<X509CRLHolder> crls, Instant now) {
    List<Certificate> out = new ArrayList<>();
    for (X509Certificate certificate : Pem.certificates(chainPem, "the certificate chain")) {
      Optional<X509Certificate> signer = signerOf(certificate, trustedCas.keySet());
      String signedBy = signer.map(trustedCas::get)
          .orElse(selfSigned(certificate) ? "itself (not a CA the array trusts)" : "no CA the array trusts");
      String revocation = signer.map(ca -> revocation(certificate, ca, crls, now)).orElse("unknown (no trusted signer)");
      out.add(new Certificate(
          certificate.getSubjectX500Principal().getName(),
          certificate.getIssuerX500Principal().getName(),
          certificate.getSerialNumber().toString(16),
          certificate.getNotBefore().toInstant(),
          certificate.getNotAfter().toInstant(),
          certificate.getBasicConstraints() >= 0,
          names(certificate),
          KeyPairs.specOf(certificate.getPublicKey()).toString(),
          usages(certificate),
          Fingerprints.fingerprint(certificate),
          signedBy,
          revocation));
    }
    return out;
  }

  /** Whether a PEM private key belongs to a certificate (by a signature over a random challenge). */
  public static String keyMatch(String privateKeyPem, X509Certificate certificate) {
    try {
      PrivateKey key = Pem.privateKey(privateKeyPem, "tls.key");
      return KeyPairs.matches(key, certificate.getPublicKey()) ? "matches the certificate"
          : "DOES NOT MATCH the certificate";
    } catch (PkiException e) {
      return "unreadable: " + e.getMessage();
    }
  }

  private static Optional<X509Certificate> signerOf(X509Certificate certificate, Collection<X509Certificate> cas) {
    for (X509Certificate ca : cas) {
      if (!ca.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())) {
        continue;
      }
      try {
        certificate.verify(ca.getPublicKey(), Crypto.PROVIDER);
        return Optional.of(ca);
      } catch (java.security.GeneralSecurityException e) {
        // another CA of the same name (a rotation keeps the subject): try the next one
      }
    }
    return Optional.empty();
  }

  private static boolean selfSigned(X509Certificate certificate) {
    try {
      certificate.verify(certificate.getPublicKey(), Crypto.PROVIDER);
      return true;
    } catch (java.security.GeneralSecurityException e) {
      return false;
    }
  }

  private static String revocation(X509Certificate certificate, X509Certificate ca, Collection<X509CRLHolder> crls,
      Instant now) {
    X500Name issuer = X500Name.getInstance(ca.getSubjectX500Principal().getEncoded());
    for (X509CRLHolder crl : crls) {
      if (!crl.getIssuer().equals(issuer) || !signedBy(crl, ca)) {
        continue;
      }
      X509CRLEntryHolder entry = crl.getRevokedCertificate(certificate.getSerialNumber());
      Instant nextUpdate = crl.getNextUpdate() == null ? null : crl.getNextUpdate().toInstant();
      String freshness = nextUpdate == null ? "" : nextUpdate.isBefore(now)
          ? ", the CRL is past its nextUpdate " + nextUpdate : ", CRL next update " + nextUpdate;
      return entry == null ? "not revoked" + freshness
          : "REVOKED at " + entry.getRevocationDate().toInstant() + freshness;
    }
    return "no CRL of its CA";
  }

  private static boolean signedBy(X509CRLHolder crl, X509Certificate ca) {
    try {
      return crl.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(Crypto.PROVIDER).build(ca));
    } catch (Exception e) {
      return false;
    }
  }

  private static List<String> names(X509Certificate certificate) {
    try {
      Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
      if (alternatives == null) {
        return List.of();
      }
      List<String> names = new ArrayList<>();
      for (List<?> name : alternatives) {
        int type = (Integer) name.get(0);
        String prefix = switch (type) {
          case 1 -> "email:";
          case 2 -> "DNS:";
          case 6 -> "URI:";
          case 7 -> "IP:";
          default -> "other:";
        };
        names.add(prefix + name.get(1));
      }
      return names;
    } catch (CertificateParsingException e) {
      return List.of("unreadable subject alternative names");
    }
  }

  private static List<String> usages(X509Certificate certificate) {
    try {
      List<String> usages = certificate.getExtendedKeyUsage();
      return usages == null ? List.of() : usages.stream().map(oid -> USAGE_NAMES.getOrDefault(oid, oid)).toList();
    } catch (CertificateParsingException e) {
      return List.of("unreadable");
    }
  }
}
