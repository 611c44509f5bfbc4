package io.arraypki.operator.pki;

import java.security.Provider;
import java.security.SecureRandom;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The one Bouncy Castle provider instance and random source. The provider is used by instance,
 * never registered globally, so that the JDK's own TLS stack in the same process is unaffected.
 */
public final class Crypto {
  public static final Provider PROVIDER = new BouncyCastleProvider();
  private static final SecureRandom RANDOM = new SecureRandom();

  private Crypto() {}

  public static SecureRandom random() {
    return RANDOM;
  }
}
