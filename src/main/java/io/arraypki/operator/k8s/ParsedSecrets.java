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
  private static final String[] CERTIFICATE_KEY_AND_BUNDLE = {SecretData.TLS_CRT, SecretData.TLS_KEY, SecretData.CA_CRT};

  private final Map<String, Answer<T>> bySecret = new ConcurrentHashMap<>();
  private final String[] entries;
  private final int releasedCapacity;
  private final Map<String, Answer<T>> recentlyReleased;
  private final ReferenceQueue<Secret> released = new ReferenceQueue<>();

  /** Answers read from tls.crt, tls.key and ca.crt, none kept once released (a CA's key among them). */
  ParsedSecrets() {
    this(0, CERTIFICATE_KEY_AND_BUNDLE);
  }

  /**
   * Answers read from {@code entries} only: a leaf and its key do not change when a rotation
   * writes a new bundle into ca.crt, and checking the key again (a signature and its
   * verification) for every member was a tenth of a re-signing's CPU. The last {@code
   * releasedCapacity} answers whose object went away are kept aside (see {@link #forgetReleased}).
   */
  ParsedSecrets(int releasedCapacity, String... entries) {
    this.entries = entries.clone();
    this.releasedCapacity = releasedCapacity;
    this.recentlyReleased = new java.util.LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Answer<T>> eldest) {
        return size() > releasedCapacity;
      }
    };
  }

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
    if (known == null) {
      known = revived(id, content);
    }
    if (known != null && known.content().equals(content)) {
      // The answer follows the newest object it is asked about: an informer hands out its own
      // copy, JOSDK's cache of recent writes another, and the one of them that goes away must
      // not take the answer with it.
      if (known.written() != null || known.source().get() != secret) {
        bySecret.put(id, new Answer<>(content, known.answer(), new Source(secret, id, released), null));
      }
      return known.answer();
    }
    T answer = parse.apply(secret);
    bySecret.put(id, new Answer<>(content, answer, new Source(secret, id, released), null));
    return answer;
  }

  /** A released answer of {@code id} for that content, taken back out of the recently released. */
  private Answer<T> revived(String id, String content) {
    if (releasedCapacity == 0) {
      return null;
    }
    synchronized (recentlyReleased) {
      Answer<T> answer = recentlyReleased.remove(id);
      return answer != null && answer.content().equals(content) ? answer : null;
    }
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

  /**
   * Answers whose object the collector took are dropped, the last {@code releasedCapacity} of
   * them kept aside: the object may have been a short-lived copy (JOSDK's cache of a recent
   * write) of a Secret that still exists, asked about again moments later.
   */
  private void forgetReleased() {
    for (Reference<? extends Secret> gone = released.poll(); gone != null; gone = released.poll()) {
      Source source = (Source) gone;
      // only if the answer is still the one read from that object, not a newer one
      Answer<T> answer = bySecret.get(source.secret);
      if (answer != null && answer.source() == source && bySecret.remove(source.secret, answer)
          && releasedCapacity > 0) {
        synchronized (recentlyReleased) {
          recentlyReleased.put(source.secret, answer);
        }
      }
    }
  }

  private static String idOf(Secret secret) {
    if (secret.getMetadata() == null || secret.getMetadata().getName() == null) {
      return null;
    }
    return secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
  }

  /** SHA-256 of the entries the answer is read from: the content, not a version. */
  private String contentKey(Secret secret) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
      for (String entry : entries) {
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
