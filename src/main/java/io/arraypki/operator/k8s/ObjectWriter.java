package io.arraypki.operator.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.net.HttpURLConnection;
import java.util.Objects;
import java.util.Optional;

/**
 * Writes Secrets and ConfigMaps the operator owns. Every write goes through here so that: nothing
 * is written when the cached object already matches; applies are server-side with one field
 * manager; create-only writes return the object that won; and the result is handed to the
 * informer's recent-write cache, so the next reconcile never acts on the version before it.
 */
public final class ObjectWriter {
  public static final String FIELD_MANAGER = "arraypki-operator";
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper()
          .setSerializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_EMPTY);

  private ObjectWriter() {}

  /** Whether {@link #apply} would write nothing: {@code current} already has {@code desired}'s content. */
  public static boolean unchanged(Optional<? extends HasMetadata> current, HasMetadata desired) {
    return current.isPresent() && sameContent(current.get(), desired);
  }

  /** Applies {@code desired} unless {@code current} already has its content. */
  public static <R extends HasMetadata, P extends HasMetadata> R apply(
      Context<P> context, R desired, Optional<R> current) {
    return apply(context, desired, current, null);
  }

  /**
   * {@link #apply}, also taking over an object of that name whose controller is {@code
   * handedOverFrom} (the apply replaces that owner reference, which the operator wrote).
   */
  public static <R extends HasMetadata, P extends HasMetadata> R apply(
      Context<P> context, R desired, Optional<R> current, HasMetadata handedOverFrom) {
    if (current.isPresent() && sameContent(current.get(), desired)) {
      return current.get();
    }
    KubernetesClient client = context.getClient();
    // Not in the cache: new, or someone else's of that name (a user's, another owner's) that a
    // forced apply would take over. One read tells (a create would make its fields another
    // manager's, and later applies could then never remove them).
    Optional<R> existing = current.isPresent() ? current : Optional.ofNullable(client.resource(desired).get());
    if (existing.isPresent() && !ManagedObjects.sameController(existing.get(), desired)) {
      if (handedOverFrom == null || !ManagedObjects.controlledBy(existing.get(), handedOverFrom)) {
        throw new NameTaken(existing.get(), ManagedObjects.wantedBy(desired));
      }
      // Handed over: the owner references are replaced outright first. An apply changes only the
      // entries this field manager wrote, and a second controller reference is refused.
      client.resource(existing.get()).patch(PatchContext.of(PatchType.JSON_MERGE),
          JSON.createObjectNode().set("metadata", JSON.createObjectNode()
              .set("ownerReferences", JSON.valueToTree(desired.getMetadata().getOwnerReferences()))).toString());
    }
    R written = client.resource(desired).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
    remember(context, written, current.orElse(null));
    return written;
  }

  /**
   * Creates {@code desired} only if no object of that name exists; returns the stored object,
   * which another writer's create for the same owner may have made (HTTP 409). An object of that
   * name made for another owner is never taken: {@link NameTaken}.
   */
  public static <R extends HasMetadata, P extends HasMetadata> R createOnly(
      Context<P> context, R desired) {
    KubernetesClient client = context.getClient();
    try {
      R created = client.resource(desired).create();
      remember(context, created, null);
      return created;
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
      R existing = client.resource(desired).get();
      if (existing == null) {
        throw e;
      }
      if (!ManagedObjects.sameController(existing, desired)) {
        throw new NameTaken(existing, ManagedObjects.wantedBy(desired));
      }
      return existing;
    }
  }

  /** Writes the status of a resource the operator owns (server-side apply on /status). */
  public static <R extends HasMetadata> void applyStatus(KubernetesClient client, R resource) {
    client.resource(resource).subresource("status").patch(new io.fabric8.kubernetes.client.dsl.base.PatchContext.Builder()
        .withPatchType(io.fabric8.kubernetes.client.dsl.base.PatchType.SERVER_SIDE_APPLY)
        .withFieldManager(FIELD_MANAGER).withForce(true).build());
  }

  public static <R extends HasMetadata, P extends HasMetadata> void delete(
      Context<P> context, R resource) {
    context.getClient().resource(resource).withGracePeriod(0).delete();
  }

  static boolean sameContent(HasMetadata current, HasMetadata desired) {
    if (!ManagedObjects.metadataCovers(current.getMetadata(), desired.getMetadata())) {
      return false;
    }
    if (current instanceof Secret c && desired instanceof Secret d) {
      return Objects.equals(c.getType(), d.getType()) && Objects.equals(c.getData(), d.getData());
    }
    if (current instanceof ConfigMap c && desired instanceof ConfigMap d) {
      return Objects.equals(c.getData(), d.getData());
    }
    if (current instanceof io.fabric8.kubernetes.api.model.coordination.v1.Lease
        && desired instanceof io.fabric8.kubernetes.api.model.coordination.v1.Lease) {
      return true; // a trust Lease's spec and annotations are its member's: only the metadata is ours
    }
    return Objects.equals(contentOf(current), contentOf(desired));
  }

  /** Everything of an object but its metadata and status (rules, subjects, spec, ...). */
  private static Object contentOf(HasMetadata resource) {
    java.util.Map<String, Object> tree = JSON.convertValue(resource, java.util.Map.class);
    tree.remove("metadata");
    tree.remove("status");
    tree.remove("apiVersion");
    tree.remove("kind");
    return tree;
  }

  @SuppressWarnings("unchecked")
  private static <R extends HasMetadata, P extends HasMetadata> void remember(
      Context<P> context, R written, R previous) {
    context
        .eventSourceRetriever()
        .getEventSourcesFor((Class<R>) written.getClass())
        .stream()
        .filter(InformerEventSource.class::isInstance)
        .map(s -> (InformerEventSource<R, P>) s)
        .forEach(
            source -> {
              ResourceID id = ResourceID.fromResource(written);
              if (previous == null) {
                source.handleRecentResourceCreate(id, written);
              } else {
                source.handleRecentResourceUpdate(id, written, previous);
              }
            });
  }
}
