package io.arraypki.operator.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.ECGenParameterSpec;

/** Key generation and the inverse: what spec a key has. */
public final class KeyPairs {
  private KeyPairs() {}

  public static KeyPair generate(KeySpec spec) {
    try {
      KeyPairGenerator generator;
      switch (spec.algorithm()) {
        case RSA -> {
          generator = KeyPairGenerator.getInstance("RSA", Crypto.fastestProvider(spec.algorithm()));
          generator.initialize(spec.size(), Crypto.random());
        }
        case ECDSA -> {
          generator = KeyPairGenerator.getInstance("EC", Crypto.fastestProvider(spec.algorithm()));
          String curve = spec.size() == 384 ? "secp384r1" : "secp256r1";
          generator.initialize(new ECGenParameterSpec(curve), Crypto.random());
        }
        default -> {
          generator = KeyPairGenerator.getInstance("Ed25519", Crypto.fastestProvider(spec.algorithm()));
          generator.initialize(255, Crypto.random());
        }
      }
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new PkiException("cannot generate a " + spec + " key", e);
    }
  }

  /** The spec of a public key, for checking that an issued key still matches the policy. */
  public static KeySpec specOf(PublicKey key) {
    if (key instanceof RSAKey rsa) {
      return new KeySpec(KeySpec.Algorithm.RSA, rsa.getModulus().bitLength());
    }
    if (key instanceof ECKey ec) {
      return new KeySpec(KeySpec.Algorithm.ECDSA, ec.getParams().getCurve().getField().getFieldSize());
    }
    if ("Ed25519".equals(key.getAlgorithm()) || "EdDSA".equals(key.getAlgorithm())) {
      return new KeySpec(KeySpec.Algorithm.ED25519, 0);
    }
    throw new PkiException("unsupported key algorithm " + key.getAlgorithm());
  }

  /** Whether a private key belongs to a public key, by signing and verifying a challenge. */
  public static boolean matches(PrivateKey privateKey, PublicKey publicKey) {
    try {
      String algorithm = Signatures.algorithmFor(publicKey);
      byte[] challenge = new byte[32];
      Crypto.random().nextBytes(challenge);
      java.security.Signature signer = java.security.Signature.getInstance(algorithm, Crypto.PROVIDER);
      signer.initSign(privateKey);
      signer.update(challenge);
      byte[] signature = signer.sign();
      java.security.Signature verifier =
          java.security.Signature.getInstance(algorithm, Crypto.PROVIDER);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }
}
