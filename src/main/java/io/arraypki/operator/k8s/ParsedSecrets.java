package io.arraypki.operator.k8s;

import io.fabric8.kubernetes.api.model.Secret;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * What was read out of a Secret's bytes (its certificate, its CA key, whether its key matches),
 * one answer per Secret: the array's reconcile looks at every member's Secret each time a member
 * changes, and parsing a thousand certificates and keys for each of a thousand changes is most
 * of its work.
 *
 * <p>An answer is reused only while the Secret's content (tls.crt, tls.key, ca.crt) is what it
 * was read from, so it is never stale. It lives as long as the Secret object it was read from:
 * the informer holds that object while the Secret exists, and when the Secret is deleted (or
 * replaced by a version the cache has not been asked about) the object becomes unreachable and
 * its answer, a CA's private key included, is dropped on the next use of this cache. So the
 * cache is as large as the set of Secrets the operator watches, never a fixed size that a large
 * installation outgrows (with a bounded cache, past its size every reconcile parsed everything
 * again).
 */
final class ParsedSecrets<T> {
  private final Map<String, Answer<T>> bySecret = new ConcurrentHashMap<>();
  private final ReferenceQueue<Secret> released = new ReferenceQueue<>();

  /** The Secret object an answer was read from, weakly: the informer decides how long it lives. */
  private static final class Source extends WeakReference<Secret> {
    final String secret;

    Source(Secret object, String secret, ReferenceQueue<Secret> released) {
      super(object, released);
      this.secret = secret;
    }
  }

  /**
   * {@code written} holds, strongly, a Secret the operator is about to write, until the cache is
   * asked about the informer's copy of it: nothing else keeps that object alive meanwhile.
   */
  private record Answer<T>(String content, T answer, Source source, Secret written) {}

  /** {@code parse} of the Secret, from memory when the same content was parsed before. */
  T get(Secret secret, Function<Secret, T> parse) {
    forgetReleased();
    String id = idOf(secret);
    if (id == null) {
      return parse.apply(secret);
    }
    String content = contentKey(secret);
    Answer<T> known = bySecret.get(id);
    if (known != null && known.content().equals(content)) {
      if (known.written() != null || known.source().get() == null) {
        bySecret.replace(id, known, new Answer<>(content, known.answer(), new Source(secret, id, released), null));
      }
      return known.answer();
    }
    T answer = parse.apply(secret);
    bySecret.put(id, new Answer<>(content, answer, new Source(secret, id, released), null));
    return answer;
  }

  /** What the operator knows of a Secret it is about to write, so that it is not parsed back. */
  void remember(Secret secret, T answer) {
    forgetReleased();
    String id = idOf(secret);
    if (id != null) {
      bySecret.put(id, new Answer<>(contentKey(secret), answer, new Source(secret, id, released), secret));
    }
  }

  /** How many answers are held (for tests). */
  int size() {
    forgetReleased();
    return bySecret.size();
  }

  private void forgetReleased() {
    for (Reference<? extends Secret> gone = released.poll(); gone != null; gone = released.poll()) {
      Source source = (Source) gone;
      // only if the answer is still the one read from that object, not a newer one
      bySecret.computeIfPresent(source.secret, (id, answer) -> answer.source() == source ? null : answer);
    }
  }

  private static String idOf(Secret secret) {
    if (secret.getMetadata() == null || secret.getMetadata().getName() == null) {
      return null;
    }
    return secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
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
