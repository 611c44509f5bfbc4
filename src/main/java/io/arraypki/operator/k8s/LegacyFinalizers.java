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
    List<io.arraypki.operator.api.ArrayNode> all = new java.util.ArrayList<>();
    for (String namespace : namespaces.isEmpty() ? java.util.Set.<String>of("") : namespaces) {
      String next = null;
      do { // in pages: ten thousand Nodes read at once would be a heap of their own at startup
        var options = new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withLimit(500L).withContinue(next).build();
        var page = namespace.isEmpty() ? nodes.inAnyNamespace().list(options) : nodes.inNamespace(namespace).list(options);
        page.getItems().stream().filter(n -> n.getMetadata().getDeletionTimestamp() != null && carries(n))
            .forEach(all::add);
        next = page.getMetadata().getContinue();
      } while (next != null && !next.isEmpty());
    }
    int released = 0;
    for (var node : all) {
      if (node.getMetadata().getDeletionTimestamp() == null || !carries(node)) {
        continue;
      }
      String array = node.getSpec() == null ? null : node.getSpec().array;
      boolean arrayExists = array != null && !array.isEmpty() && client.resources(io.arraypki.operator.api.ClusterArray.class)
          .inNamespace(node.getMetadata().getNamespace()).withName(array).get() != null;
      if (!arrayExists) {
        try {
          release(client, node);
          released++;
        } catch (KubernetesClientException e) {
          org.slf4j.LoggerFactory.getLogger(LegacyFinalizers.class).warn(
              "could not release the finalizer of Node {}/{}: {}", node.getMetadata().getNamespace(),
              node.getMetadata().getName(), e.getMessage());
        }
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
      // gone (404), or its finalizers changed since it was read (the test fails: 422; 409): the
      // next event of that Node tries again from what it holds then
      if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND && e.getCode() != 422
          && e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
    }
  }
}
