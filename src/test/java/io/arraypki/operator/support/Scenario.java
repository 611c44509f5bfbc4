package io.arraypki.operator.support;

import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.api.RotationSpec;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

/** Arrays in a test class's namespace: create them, change them, read and wait for their status. */
public final class Scenario {
  private final AbstractOperatorExtension operator;

  public Scenario(AbstractOperatorExtension operator) {
    this.operator = operator;
  }

  public KubernetesClient client() {
    return operator.getKubernetesClient();
  }

  public String ns() {
    return operator.getNamespace();
  }

  public Secret secret(String name) {
    return Arrays.secret(client(), ns(), name);
  }

  /** An array of {@code members} nodes named {@code <array>-<i>}, primary {@code <array>-0}, Ready. */
  public List<String> createArray(String array, int members, String trustPropagationDelay, String overlap) {
    ClusterArray a = Arrays.array(ns(), array, array + "-0");
    a.getSpec().rotation = new RotationSpec();
    a.getSpec().rotation.trustPropagationDelay = trustPropagationDelay;
    a.getSpec().rotation.overlap = overlap;
    client().resource(a).create();
    List<String> nodes = IntStream.range(0, members).mapToObj(i -> array + "-" + i).toList();
    nodes.forEach(n -> client().resource(Arrays.node(ns(), n, array)).create());
    Arrays.awaitArrayReady(client(), ns(), array, members);
    return nodes;
  }

  public void setPrimary(String array, String primary) {
    patch(ClusterArray.class, array, "{\"spec\":{\"primary\":\"" + primary + "\"}}");
  }

  /**
   * A JSON merge patch, as {@code kubectl patch --type merge} sends it: no resourceVersion, so a
   * status write by the operator in between is no conflict.
   */
  public <T extends HasMetadata> void patch(Class<T> kind, String name, String json) {
    client().resources(kind).inNamespace(ns()).withName(name)
        .patch(PatchContext.of(PatchType.JSON_MERGE), json);
  }

  public ClusterArrayStatus status(String array) {
    return Arrays.getArray(client(), ns(), array).getStatus();
  }

  /** The messages of the Warning Events of {@code reason} on the object named {@code involved} in this namespace. */
  public java.util.List<String> warnings(String involved, String reason) {
    return client().v1().events().inNamespace(ns()).list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()) && "Warning".equals(e.getType())
            && involved.equals(e.getInvolvedObject().getName()))
        .map(io.fabric8.kubernetes.api.model.Event::getMessage).toList();
  }

  public void awaitPhase(String array, RotationPhase phase) {
    Waits.converge().pollInterval(Duration.ofMillis(20)).until(() -> status(array).rotation.phase == phase);
  }
}
