package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.util.Map;
import java.util.Optional;

/**
 * Where a reconcile reads one object by name: the reconcilers from their informers' caches; the
 * CSR signer, which acts seldom, from the API server, so that it holds no cache of every Node,
 * Secret and ConfigMap (a third copy of each, and a third decode of every watch event).
 */
interface Lookup {
  <R extends HasMetadata> Optional<R> get(Class<R> type, String namespace, String name);

  KubernetesClient client();

  static <P extends HasMetadata> Lookup cached(Context<P> context) {
    Map<Class<?>, String> sources = Map.of(ClusterArray.class, EventSources.ARRAYS, ArrayNode.class,
        EventSources.NODES, Secret.class, EventSources.SECRETS, ConfigMap.class, EventSources.CONFIG_MAPS);
    return new Lookup() {
      @Override
      public <R extends HasMetadata> Optional<R> get(Class<R> type, String namespace, String name) {
        return EventSources.get(context, type, sources.get(type), namespace, name);
      }

      @Override
      public KubernetesClient client() {
        return context.getClient();
      }
    };
  }

  static Lookup api(KubernetesClient client) {
    return new Lookup() {
      @Override
      public <R extends HasMetadata> Optional<R> get(Class<R> type, String namespace, String name) {
        return Optional.ofNullable(client.resources(type).inNamespace(namespace).withName(name).get());
      }

      @Override
      public KubernetesClient client() {
        return client;
      }
    };
  }
}
