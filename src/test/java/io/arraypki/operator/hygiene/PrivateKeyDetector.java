package io.arraypki.operator.hygiene;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds private keys in text: PEM blocks of every private-key type the operator writes (PKCS#8,
 * and the OpenSSH format of SSH keys), as text or base64-encoded as they sit in a Secret's data.
 */
final class PrivateKeyDetector {
  private static final List<String> PEM_HEADERS = List.of(
      "-----BEGIN PRIVATE KEY", "-----BEGIN ENCRYPTED PRIVATE KEY", "-----BEGIN EC PRIVATE KEY",
      "-----BEGIN RSA PRIVATE KEY", "-----BEGIN OPENSSH PRIVATE KEY");

  private static final List<String> MARKERS = Stream.concat(
      Stream.of("PRIVATE KEY-----"),
      PEM_HEADERS.stream().map(PrivateKeyDetector::base64Prefix)).toList();

  private PrivateKeyDetector() {}

  /** The first marker found in {@code text}, or null when it holds no private key. */
  static String find(String text) {
    for (String marker : MARKERS) {
      if (text.contains(marker)) {
        return marker;
      }
    }
    return null;
  }

  /** The base64 of a header's whole 3-byte groups: what any base64 of a PEM starting with it starts with. */
  private static String base64Prefix(String header) {
    byte[] bytes = header.getBytes(StandardCharsets.US_ASCII);
    int whole = bytes.length / 3 * 3;
    return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(bytes, whole));
  }
}
