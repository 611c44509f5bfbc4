package io.arraypki.operator.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.HttpURLConnection;
import java.util.List;

/**
 * The finalizer earlier versions of the operator put on every Node. A finalizer on a user's object costs a
 * write per member and keeps a namespace Terminating while the operator is down, so Nodes no
 * longer get one (their array owns their Secrets and revokes them once the Node is gone); the
 * ones already there are taken off, each once.
 */
public final class LegacyFinalizers {
  /** JOSDK's default name for the Node reconciler's finalizer: {@code <plural>.<group>/finalizer}. */
  public static final String NODE = "nodes.arraypki.io/finalizer";

  private LegacyFinalizers() {}

  /**
   * At startup: Nodes deleted while an earlier operator was down, outside any array that exists
   * (read live: the array's own reconcile releases its departing members after revoking their
   * material), have nothing to wait for. Their finalizer comes off, so their namespace can go.
   *
   * @return how many were released
   */
  public static int releaseOrphans(KubernetesClient client, java.util.Set<String> namespaces) {
    var nodes = client.resources(io.arraypki.operator.api.ArrayNode.class);
    List<io.arraypki.operator.api.ArrayNode> all = namespaces.isEmpty()
        ? nodes.inAnyNamespace().list().getItems()
        : namespaces.stream().flatMap(ns -> nodes.inNamespace(ns).list().getItems().stream()).toList();
    int released = 0;
    for (var node : all) {
      if (node.getMetadata().getDeletionTimestamp() == null || !carries(node)) {
        continue;
      }
      String array = node.getSpec() == null ? null : node.getSpec().array;
      boolean arrayExists = array != null && !array.isEmpty() && client.resources(io.arraypki.operator.api.ClusterArray.class)
          .inNamespace(node.getMetadata().getNamespace()).withName(array).get() != null;
      if (!arrayExists) {
        release(client, node);
        released++;
      }
    }
    return released;
  }

  public static boolean carries(HasMetadata object) {
    List<String> finalizers = object.getMetadata().getFinalizers();
    return finalizers != null && finalizers.contains(NODE);
  }

  /**
   * Removes the finalizer from {@code object} with a JSON patch that first tests it is still
   * at that index (someone else's finalizers are left as they are; a conflict is tried again
   * by the next reconcile). Gone already: nothing to do.
   */
  public static void release(KubernetesClient client, HasMetadata object) {
    int index = object.getMetadata().getFinalizers().indexOf(NODE);
    String patch = "[{\"op\":\"test\",\"path\":\"/metadata/finalizers/" + index + "\",\"value\":\"" + NODE + "\"},"
        + "{\"op\":\"remove\",\"path\":\"/metadata/finalizers/" + index + "\"}]";
    try {
      client.resource(object).patch(PatchContext.of(PatchType.JSON), patch);
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
        throw e;
      }
    }
  }
}
