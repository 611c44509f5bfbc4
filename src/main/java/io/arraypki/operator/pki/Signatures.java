package io.arraypki.operator.pki;

import java.security.PrivateKey;
import java.security.PublicKey;
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

  static ContentSigner signer(PrivateKey key, PublicKey publicKey) {
    try {
      return new JcaContentSignerBuilder(algorithmFor(publicKey))
          .setProvider(Crypto.signingProvider(KeyPairs.specOf(publicKey).algorithm()))
          .setSecureRandom(Crypto.random())
          .build(key);
    } catch (OperatorCreationException e) {
      throw new PkiException("cannot sign with a " + KeyPairs.specOf(publicKey) + " key", e);
    }
  }
}
