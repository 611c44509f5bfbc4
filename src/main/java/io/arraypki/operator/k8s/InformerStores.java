package io.arraypki.operator.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;

/** How the informers keep what they cache. */
public final class InformerStores {
  private InformerStores() {}

  /**
   * A store that keeps objects without their managedFields. The operator never reads them (its
   * writes are server-side applies that send what it wants), and they were about a third of what
   * each cached Node and Secret cost in heap; every informer caches a thousand of each per
   * thousand members.
   */
  public static <R extends HasMetadata> ItemStore<R> withoutManagedFields() {
    return new TransformingItemStore<>(resource -> {
      resource.getMetadata().setManagedFields(null);
      return resource;
    });
  }

  /**
   * A store of Secrets that keeps their identity only (name, namespace, uid, resourceVersion, type:
   * no data, labels, annotations or managedFields), for an informer whose Secrets are mostly none
   * of the operator's business: it is there for its events and to say which resourceVersion is
   * current; what a Secret holds is read live when needed. (kubectl apply's
   * last-applied-configuration annotation is a second copy of the data.) Labels and annotations
   * become empty maps, never null: JOSDK's event handler reads the annotations of every object it
   * is told of (a null there threw in the informer's thread, and the event was lost).
   */
  public static ItemStore<Secret> withoutData() {
    return new TransformingItemStore<>(secret -> {
      secret.getMetadata().setManagedFields(null);
      secret.getMetadata().setAnnotations(java.util.Map.of());
      secret.getMetadata().setLabels(java.util.Map.of());
      secret.setData(null);
      secret.setStringData(null);
      return secret;
    });
  }
}
