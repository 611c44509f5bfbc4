package io.arraypki.operator.reconciler;

import io.fabric8.kubernetes.api.model.Secret;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The keystore password Secrets a Node reconcile reads. They are the user's, unlabelled, so their
 * informer holds every Opaque Secret of the watched namespaces; it holds them without their data
 * ({@link io.arraypki.operator.k8s.InformerStores#withoutData}): with their data, 5,000 unrelated
 * Secrets were half of an idle operator's live heap. A Secret an array names is read from the API
 * server once per resourceVersion its metadata copy shows, and that read is shared by every
 * member of the array that asks after it.
 */
final class PasswordSecretReads {
  private final ConcurrentMap<String, Secret> readAtVersion = new ConcurrentHashMap<>();

  /**
   * @param metadata the informer's copies (data left out)
   * @param live one GET
   */
  KeystorePasswords.Source source(KeystorePasswords.Source metadata, KeystorePasswords.Source live) {
    return (namespace, name) -> {
      Optional<Secret> cached = metadata.get(namespace, name);
      if (cached.isEmpty()) {
        // one of a type the informer leaves out, or one not there yet (then reported missing)
        return live.get(namespace, name);
      }
      String key = namespace + "/" + name;
      Secret read = readAtVersion.get(key);
      if (read != null && Objects.equals(version(read), version(cached.get()))) {
        return Optional.of(read);
      }
      Optional<Secret> fresh = live.get(namespace, name);
      if (fresh.isPresent()) {
        readAtVersion.put(key, fresh.get());
      } else {
        readAtVersion.remove(key);
      }
      return fresh;
    };
  }

  /** How many Secrets are held with their data (for tests). */
  int held() {
    return readAtVersion.size();
  }

  private static String version(Secret secret) {
    return secret.getMetadata() == null ? null : secret.getMetadata().getResourceVersion();
  }
}
