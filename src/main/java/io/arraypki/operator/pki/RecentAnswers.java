package io.arraypki.operator.pki;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Answers of a pure function of content (a parse, a signature check), remembered for the most
 * recently asked keys: reconciles look at the same certificates again and again, and the key
 * is a digest of everything the answer depends on, so a remembered answer is never stale.
 */
public final class RecentAnswers<K, V> {
  private final Map<K, V> recent;

  public RecentAnswers(int capacity) {
    this.recent = new LinkedHashMap<>(256, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > capacity;
      }
    };
  }

  /** The answer for {@code key}, computed by {@code answer} unless remembered. */
  public V get(K key, Function<K, V> answer) {
    synchronized (recent) {
      V known = recent.get(key);
      if (known != null) {
        return known;
      }
    }
    V computed = answer.apply(key);
    remember(key, computed);
    return computed;
  }

  /** An answer known without asking (what the operator itself just made). */
  public void remember(K key, V answer) {
    synchronized (recent) {
      recent.put(key, answer);
    }
  }
}
