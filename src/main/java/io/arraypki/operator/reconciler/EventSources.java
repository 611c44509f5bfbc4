package io.arraypki.operator.reconciler;

import io.arraypki.operator.k8s.Labels;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/** Reads from the informer caches of a reconciler's event sources, by name or by label. */
final class EventSources {
  static final String NODES = "nodes";
  static final String ARRAYS = "arrays";
  static final String SECRETS = "secrets";
  static final String CONFIG_MAPS = "configmaps";
  static final String CANDIDATE_MAPS = "candidatemaps";
  static final String ROLES = "roles";
  static final String ROLE_BINDINGS = "rolebindings";
  /** The members' trust Leases (their confirmations). */
  static final String LEASES = "leases";
  /** The user's Opaque Secrets (keystore passwords), apart from the managed ones. */
  static final String PASSWORD_SECRETS = "passwordsecrets";
  static final String CERTIFICATE_REQUESTS = "certificaterequests";

  /** The index of the array reconciler's Nodes (by spec.array) and Secrets (by label): {@code <namespace>/<array>}. */
  static final String BY_ARRAY = "byArray";

  private EventSources() {}

  /**
   * Indexes {@code source} by array, so that an array's reconcile reads its own members and
   * Secrets, never every one in its namespace (a hundred arrays in one namespace would make each
   * reconcile a hundred times the work).
   */
  static <R extends HasMetadata, P extends HasMetadata> InformerEventSource<R, P> indexedByArray(
      InformerEventSource<R, P> source, java.util.function.Function<R, String> arrayOf) {
    source.addIndexers(Map.of(BY_ARRAY, r -> {
      String array = arrayOf.apply(r);
      return array == null || array.isEmpty() ? java.util.List.of()
          : java.util.List.of(r.getMetadata().getNamespace() + "/" + array);
    }));
    return source;
  }

  @SuppressWarnings("unchecked")
  static <R extends HasMetadata, P extends HasMetadata> InformerEventSource<R, P> source(
      Context<P> context, Class<R> type, String name) {
    return (InformerEventSource<R, P>)
        context.eventSourceRetriever().getEventSourceFor(type, name);
  }

  static <R extends HasMetadata, P extends HasMetadata> Optional<R> get(
      Context<P> context, Class<R> type, String sourceName, String namespace, String name) {
    return source(context, type, sourceName).get(new ResourceID(name, namespace));
  }

  /** Everything an {@link #indexedByArray} cache holds of one array. */
  static <R extends HasMetadata, P extends HasMetadata> Stream<R> ofArray(
      Context<P> context, Class<R> type, String sourceName, String namespace, String array) {
    return source(context, type, sourceName).byIndex(BY_ARRAY, namespace + "/" + array).stream();
  }

  /** Maps an object to the array named by its {@code arraypki.io/array} label. */
  static Set<ResourceID> arrayOfLabel(HasMetadata resource) {
    String array = label(resource, Labels.ARRAY);
    return array == null || array.isEmpty()
        ? Set.of()
        : Set.of(new ResourceID(array, resource.getMetadata().getNamespace()));
  }

  static String label(HasMetadata resource, String key) {
    Map<String, String> labels = resource.getMetadata().getLabels();
    return labels == null ? null : labels.get(key);
  }

  static String annotation(HasMetadata resource, String key) {
    Map<String, String> annotations = resource.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }
}
