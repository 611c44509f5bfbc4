package io.arraypki.operator.k8s;

import io.fabric8.kubernetes.api.model.Secret;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * What was read out of a Secret's bytes (its certificate, whether its key matches), remembered
 * per Secret version: the array's reconcile looks at every member's Secret each time a member
 * changes, and parsing a thousand certificates and keys for each of a thousand changes is most
 * of its work. A Secret's uid and resourceVersion name its content exactly, so a remembered
 * answer is never stale; only the most recent versions are kept.
 */
final class ParsedSecrets<T> {
  private static final int CAPACITY = 8192;

  private final Map<String, T> recent = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, T> eldest) {
      return size() > CAPACITY;
    }
  };

  /** {@code parse} of the Secret, from memory when this version was parsed before. */
  T get(Secret secret, Function<Secret, T> parse) {
    String uid = secret.getMetadata() == null ? null : secret.getMetadata().getUid();
    String version = secret.getMetadata() == null ? null : secret.getMetadata().getResourceVersion();
    if (uid == null || version == null) {
      return parse.apply(secret); // not stored yet: nothing names its content
    }
    String key = uid + "/" + version;
    synchronized (recent) {
      T known = recent.get(key);
      if (known != null) {
        return known;
      }
    }
    T parsed = parse.apply(secret);
    synchronized (recent) {
      recent.put(key, parsed);
    }
    return parsed;
  }
}
