package io.arraypki.operator.pki;

/** Algorithm and size of a private key. */
public record KeySpec(Algorithm algorithm, int size) {

  /** The key algorithms of the design. */
  public enum Algorithm {
    RSA,
    ECDSA,
    ED25519
  }

  public static final KeySpec ECDSA_P256 = new KeySpec(Algorithm.ECDSA, 256);

  public KeySpec {
    switch (algorithm) {
      case RSA -> {
        if (size != 2048 && size != 3072 && size != 4096) {
          throw new PkiException("RSA keys must have size 2048, 3072 or 4096, not " + size);
        }
      }
      case ECDSA -> {
        if (size != 256 && size != 384) {
          throw new PkiException("ECDSA keys must have size 256 or 384, not " + size);
        }
      }
      case ED25519 -> size = 0;
    }
  }

  /**
   * Reads cert-manager's spelling ("RSA", "ECDSA", "Ed25519") with the default size when none is
   * given (2048 for RSA, 256 for ECDSA).
   */
  public static KeySpec of(String algorithm, Integer size) {
    if (algorithm == null) {
      return ECDSA_P256;
    }
    return switch (algorithm) {
      case "RSA" -> new KeySpec(Algorithm.RSA, size == null || size == 0 ? 2048 : size);
      case "ECDSA" -> new KeySpec(Algorithm.ECDSA, size == null || size == 0 ? 256 : size);
      case "Ed25519" -> new KeySpec(Algorithm.ED25519, 0);
      default -> throw new PkiException("unknown key algorithm " + algorithm);
    };
  }

  @Override
  public String toString() {
    return algorithm == Algorithm.ED25519 ? "Ed25519" : algorithm + "-" + size;
  }
}
