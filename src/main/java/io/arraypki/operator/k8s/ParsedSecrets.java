package io.arraypki.operator.k8s;

import io.arraypki.operator.pki.RecentAnswers;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Function;

/**
 * What was read out of a Secret's bytes (its certificate, whether its key matches), remembered
 * per Secret version: the array's reconcile looks at every member's Secret each time a member
 * changes, and parsing a thousand certificates and keys for each of a thousand changes is most
 * of its work. Answers are keyed by a digest of the entries they were read from (tls.crt,
 * tls.key, ca.crt), so a remembered answer is never stale; only the most recent are kept.
 */
final class ParsedSecrets<T> {
  private static final int CAPACITY = 8192;

  private final RecentAnswers<String, T> recent = new RecentAnswers<>(CAPACITY);

  /** {@code parse} of the Secret, from memory when the same content was parsed before. */
  T get(Secret secret, Function<Secret, T> parse) {
    return recent.get(contentKey(secret), key -> parse.apply(secret));
  }

  /** What the operator knows of a Secret it is about to write, so that it is not parsed back. */
  void remember(Secret secret, T answer) {
    recent.remember(contentKey(secret), answer);
  }

  /** SHA-256 of the entries that hold the certificate and the key: the content, not a version. */
  private static String contentKey(Secret secret) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
      for (String entry : new String[] {SecretData.TLS_CRT, SecretData.TLS_KEY, SecretData.CA_CRT}) {
        sha256.update(entry.getBytes(StandardCharsets.UTF_8));
        sha256.update((byte) 0);
        sha256.update(data.getOrDefault(entry, "").getBytes(StandardCharsets.UTF_8));
        sha256.update((byte) 0);
      }
      return HexFormat.of().formatHex(sha256.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256", e);
    }
  }
}
