package io.arraypki.operator.pki;

import java.security.DrbgParameters;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The one Bouncy Castle provider instance and random source. The provider is used by instance,
 * never registered globally, so that the JDK's own TLS stack in the same process is unaffected.
 */
public final class Crypto {
  public static final Provider PROVIDER = new BouncyCastleProvider();
  /** Security strength of the random source keys and serial numbers come from, in bits. */
  public static final int RANDOM_STRENGTH = 256;

  private static final SecureRandom RANDOM = strongestRandom();

  private Crypto() {}

  /**
   * The JDK's NIST SP 800-90A DRBG at its highest strength (256 bits), seeded from the operating
   * system: a stated strength that covers P-384 and RSA-4096 keys, where the platform default
   * (NativePRNG mixed with SHA1PRNG) states none.
   */
  private static SecureRandom strongestRandom() {
    try {
      return SecureRandom.getInstance("DRBG",
          DrbgParameters.instantiation(RANDOM_STRENGTH, DrbgParameters.Capability.RESEED_ONLY, null));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no 256-bit DRBG in this JDK", e);
    }
  }

  /**
   * The provider that generates keys of an algorithm and signs with them fastest, as
   * KeysAndSignaturesBenchmark (JMH, e2e/bench.sh --jmh) measured on two cores with JDK 17: the
   * JDK's SunRsaSign for RSA (key generation 1.2x to 2.7x Bouncy Castle's speed; signing 1.04x to
   * 1.07x, within the noise), Bouncy Castle for ECDSA (5x to 7x SunEC) and Ed25519 (11x to 18x).
   */
  public static Provider fastestProvider(KeySpec.Algorithm algorithm) {
    return algorithm == KeySpec.Algorithm.RSA ? Security.getProvider("SunRsaSign") : PROVIDER;
  }

  public static SecureRandom random() {
    return RANDOM;
  }
}
