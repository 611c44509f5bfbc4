package io.arraypki.operator.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.k8s.Labels;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An unrelated, Ready array in the test class's namespace that no test touches: after each test,
 * every one of its Secrets, its trust ConfigMap and its CandidateMap must be exactly as before
 * (same data, same resourceVersion: not even rewritten). Register it after the operator:
 * {@code @RegisterExtension @Order(2) static Bystander bystander = new Bystander(operator);}
 */
public final class Bystander implements BeforeAllCallback, AfterEachCallback {
  public static final String NAME = "bystander";

  private final AbstractOperatorExtension operator;
  private Map<String, String> before;

  public Bystander(AbstractOperatorExtension operator) {
    this.operator = operator;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    new Scenario(operator).createArray(NAME, 2, "1s", "1s");
    // Ready counts peer certificates; the candidates' client certificates and the candidate map
    // come after it: the snapshot is taken once everything has stopped moving
    before = Quiescence.settled(this::snapshot, Duration.ofSeconds(10), Duration.ofMinutes(3));
    assertThat(before).as("what the bystander array owns, settled").containsKeys(
        "Secret/" + NAME + "-0-client-tls", "Secret/" + NAME + "-1-client-tls", "CandidateMap/" + NAME);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    assertThat(snapshot()).as("the Secrets, trust ConfigMap and CandidateMap of the unrelated array " + NAME)
        .isEqualTo(before);
  }

  /** kind/name -> resourceVersion and content, of everything the bystander array owns. */
  private Map<String, String> snapshot() {
    KubernetesClient client = operator.getKubernetesClient();
    String ns = operator.getNamespace();
    Map<String, String> objects = new TreeMap<>();
    Stream.of(
            client.secrets().inNamespace(ns).withLabel(Labels.ARRAY, NAME).list().getItems().stream()
                .map(s -> entry(s, String.valueOf(s.getData()))),
            client.configMaps().inNamespace(ns).withLabel(Labels.ARRAY, NAME).list().getItems().stream()
                .map(c -> entry(c, String.valueOf(c.getData()))),
            client.resources(io.arraypki.operator.api.CandidateMap.class).inNamespace(ns).withName(NAME).get() == null
                ? Stream.<Map.Entry<String, String>>empty()
                : Stream.of(entry(client.resources(io.arraypki.operator.api.CandidateMap.class).inNamespace(ns)
                    .withName(NAME).get(), "")))
        .flatMap(s -> s)
        .forEach(e -> objects.put(e.getKey(), e.getValue()));
    assertThat(objects.keySet()).as("what the bystander array owns").contains(
        "Secret/" + NAME + "-ca", "Secret/" + NAME + "-0-peer-tls", "Secret/" + NAME + "-1-peer-tls");
    return objects;
  }

  private static Map.Entry<String, String> entry(HasMetadata object, String content) {
    return Map.entry(object.getKind() + "/" + object.getMetadata().getName(),
        object.getMetadata().getResourceVersion() + " " + content);
  }
}
