package io.arraypki.operator.reconciler;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Status writes: only when the status differs from what the object already has, and then as a
 * server-side apply of a fresh object that carries nothing but the status.
 */
final class StatusPatches {
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private StatusPatches() {}

  static boolean changed(Object before, Object after) {
    return !Objects.equals(JSON.asJson(before), JSON.asJson(after));
  }

  static <S, R extends CustomResource<?, S>> R statusOnly(R resource, S status, Supplier<R> factory) {
    R patch = factory.get();
    ObjectMeta meta = resource.getMetadata();
    patch.setMetadata(
        new ObjectMetaBuilder().withName(meta.getName()).withNamespace(meta.getNamespace()).build());
    patch.setStatus(status);
    return patch;
  }

  /**
   * Writes {@code status} (a server-side apply of the status alone) and puts the written object in
   * the controller's cache, so that the next reconcile, whatever woke it, sees this status and not
   * the one before (JOSDK does not cache what an UpdateControl patch wrote: a reconcile woken by
   * a Secret event a moment later read the old status, and acted on candidates or a rotation
   * phase already replaced).
   */
  static <S, R extends CustomResource<?, S>> void writeAndCache(R primary, S status, Supplier<R> factory,
      Context<R> context) {
    PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(primary, statusOnly(primary, status, factory), context);
  }

  /** A deep copy, so that a status can be computed without touching the cached object. */
  static <T> T copy(T value, Class<T> type) {
    return value == null ? null : JSON.unmarshal(JSON.asJson(value), type);
  }
}
