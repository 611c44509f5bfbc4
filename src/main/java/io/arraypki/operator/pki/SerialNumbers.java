package io.arraypki.operator.pki;

import java.math.BigInteger;

/** Random positive serial numbers of 127 bits (RFC 5280 allows up to 20 octets). */
public final class SerialNumbers {
  private SerialNumbers() {}

  public static BigInteger random() {
    byte[] bytes = new byte[16];
    Crypto.random().nextBytes(bytes);
    bytes[0] &= 0x7f; // positive
    bytes[0] |= 0x40; // exactly 127 bits, so never fewer than 64
    return new BigInteger(1, bytes);
  }

  /** Upper-case hex with colons, as {@code openssl x509 -serial} would read it back. */
  public static String format(BigInteger serial) {
    String hex = serial.toString(16).toUpperCase(java.util.Locale.ROOT);
    return hex.length() % 2 == 0 ? hex : "0" + hex;
  }
}
