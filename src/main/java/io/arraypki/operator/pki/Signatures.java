package io.arraypki.operator.pki;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** The signature algorithm that goes with a key: SHA-256 (SHA-384 for P-384) or Ed25519. */
final class Signatures {
  private Signatures() {}

  static String algorithmFor(PublicKey key) {
    KeySpec spec = KeyPairs.specOf(key);
    return switch (spec.algorithm()) {
      case RSA -> "SHA256withRSA";
      case ECDSA -> spec.size() == 384 ? "SHA384withECDSA" : "SHA256withECDSA";
      case ED25519 -> "Ed25519";
    };
  }

  /**
   * Signature checks, a pure function of the bytes: a certificate is checked on every reconcile.
   * Kept per certificate object, weakly: the parsed certificates live as long as their Secrets
   * (see ParsedSecrets), and so do their checks, however many members there are (a fixed-size
   * cache, once outgrown, checked every signature again on every reconcile).
   */
  private static final Map<X509Certificate, Map<PublicKey, Boolean>> CHECKED =
      Collections.synchronizedMap(new WeakHashMap<>());

  /** Whether {@code key} made the signature of {@code certificate}. */
  static boolean verifies(X509Certificate certificate, PublicKey key) {
    Map<PublicKey, Boolean> known = CHECKED.computeIfAbsent(certificate, c -> new ConcurrentHashMap<>());
    return known.computeIfAbsent(key, k -> {
      try {
        certificate.verify(key, Crypto.PROVIDER);
        return true;
      } catch (GeneralSecurityException | RuntimeException e) {
        return false;
      }
    });
  }

  /** How many certificates have checks remembered (for tests). */
  static int rememberedCertificates() {
    return CHECKED.size();
  }

  static ContentSigner signer(PrivateKey key, PublicKey publicKey) {
    try {
      return new JcaContentSignerBuilder(algorithmFor(publicKey))
          .setProvider(Crypto.fastestProvider(KeyPairs.specOf(publicKey).algorithm()))
          .setSecureRandom(Crypto.random())
          .build(key);
    } catch (OperatorCreationException e) {
      throw new PkiException("cannot sign with a " + KeyPairs.specOf(publicKey) + " key", e);
    }
  }
}
