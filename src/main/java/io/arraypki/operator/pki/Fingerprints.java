package io.arraypki.operator.pki;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;

/** The two spellings of a certificate's SHA-256: the fingerprint and the candidate-map digest. */
public final class Fingerprints {
  private Fingerprints() {}

  /** {@code SHA256:AB:CD:...}, as {@code openssl x509 -fingerprint -sha256} prints it. */
  public static String fingerprint(X509Certificate certificate) {
    return "SHA256:" + HexFormat.ofDelimiter(":").withUpperCase().formatHex(sha256(certificate));
  }

  /** {@code sha256:} and lower-case hex of the DER certificate (the candidate map's digest). */
  public static String digest(X509Certificate certificate) {
    return "sha256:" + HexFormat.of().formatHex(sha256(certificate));
  }

  /** The first four bytes of a fingerprint, for a printer column: {@code AB:CD:EF:01}. */
  public static String shortForm(String fingerprint) {
    String hex = fingerprint.startsWith("SHA256:") ? fingerprint.substring(7) : fingerprint;
    return hex.length() > 11 ? hex.substring(0, 11) : hex;
  }

  /**
   * {@link #shortForm} of a {@link #digest} ({@code sha256:abcdef01...} gives {@code AB:CD:EF:01}).
   * Never throws: a member writes the digests it confirms, and a malformed one is shown as it is.
   */
  public static String shortDigest(String digest) {
    String hex = digest.startsWith("sha256:") ? digest.substring(7) : digest;
    StringBuilder s = new StringBuilder();
    for (int i = 0; i + 2 <= hex.length() && i < 8; i += 2) {
      if (s.length() > 0) {
        s.append(':');
      }
      s.append(hex, i, i + 2);
    }
    return s.toString().toUpperCase(Locale.ROOT);
  }

  /**
   * Whether a pin names this certificate. Pins are accepted in any case, with or without colons
   * and with or without a {@code SHA256:} (or {@code sha256:}, {@code SHA-256:}) prefix.
   */
  public static boolean pinMatches(String pin, X509Certificate certificate) {
    return normalizePin(pin).equals(HexFormat.of().formatHex(sha256(certificate)));
  }

  /** The 64 lower-case hex digits of a pin; an error naming the problem if it is not one. */
  public static String normalizePin(String pin) {
    if (pin == null) {
      throw new PkiException("the fingerprint pin is empty");
    }
    String s = pin.trim().toLowerCase(Locale.ROOT);
    for (String prefix : new String[] {"sha256:", "sha-256:"}) {
      if (s.startsWith(prefix)) {
        s = s.substring(prefix.length());
      }
    }
    s = s.replace(":", "");
    if (s.length() != 64 || !s.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
      throw new PkiException("the fingerprint pin is not 32 bytes of hex (a SHA-256 fingerprint)");
    }
    return s;
  }

  private static byte[] sha256(X509Certificate certificate) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new PkiException("cannot digest certificate", e);
    }
  }
}
