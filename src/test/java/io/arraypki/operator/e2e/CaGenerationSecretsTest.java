package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CA generation Secrets: their numbers only go up, so two different CAs never share one (issue 13,
 * bug 4); they are immutable; one that cannot be read leaves a condition saying so (bug 9).
 */
class CaGenerationSecretsTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();

  private static final int ARRAYS_AT_ONCE = 20;

  private final Scenario scenario = new Scenario(operator);

  @Test
  void aCaMadeAfterEveryGenerationSecretWasDeletedTakesTheNextNumberNotOneAgain() {
    List<String> nodes = scenario.createArray("renumbered", 2, "1s", "1s");
    String first = SecretData.text(scenario.secret("renumbered-ca-g1"), "tls.crt").orElseThrow();
    scenario.client().secrets().inNamespace(scenario.ns()).withName("renumbered-ca-g1").delete();
    Waits.converge().untilAsserted(() -> {
      assertThat(scenario.status("renumbered").ca.generation).isEqualTo(2L);
      Secret second = scenario.secret("renumbered-ca-g2");
      assertThat(second).isNotNull();
      assertThat(SecretData.text(second, "tls.crt").orElseThrow()).isNotEqualTo(first);
      assertThat(scenario.secret("renumbered-ca-g1")).as("no second CA numbered 1").isNull();
      assertThat(SecretData.text(scenario.secret("renumbered-ca"), "tls.crt").orElseThrow())
          .isEqualTo(SecretData.text(second, "tls.crt").orElseThrow());
      for (String node : nodes) {
        assertThat(scenario.secret(node + "-peer-tls").getMetadata().getAnnotations())
            .containsEntry("arraypki.io/signed-by-generation", "2");
      }
    });
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "renumbered", 2);
  }

  /**
   * An array's own status write is cached as written, its new generation Secret arrives later by
   * watch: a reconcile in between (a member's event) once took generation 1 for lost and made
   * generation 2, re-signing every member of a new array. Many arrays at once, each with members
   * joining while its CA is made, give that reconcile many chances.
   */
  @Test
  void arraysCreatedTogetherWithTheirMembersEachMakeOneCaGenerationNotTwo() {
    List<String> arrays = java.util.stream.IntStream.range(0, ARRAYS_AT_ONCE).mapToObj(i -> "burst" + i).toList();
    for (String array : arrays) {
      ClusterArray a = Arrays.array(scenario.ns(), array, array + "-0");
      scenario.client().resource(a).create();
      for (int member = 0; member < 3; member++) {
        scenario.client().resource(Arrays.node(scenario.ns(), array + "-" + member, array)).create();
      }
    }
    arrays.forEach(array -> Arrays.awaitArrayReady(scenario.client(), scenario.ns(), array, 3));
    for (String array : arrays) {
      assertThat(scenario.status(array).ca.generation).as(array + ": its CA generation").isEqualTo(1L);
      assertThat(scenario.client().secrets().inNamespace(scenario.ns()).withLabel("arraypki.io/array", array)
          .withLabel("arraypki.io/component", "ca").list().getItems().stream().map(s -> s.getMetadata().getName()))
          .as(array + ": its CA Secrets").containsExactlyInAnyOrder(array + "-ca", array + "-ca-g1");
    }
  }

  @Test
  void aCaGenerationSecretIsImmutableSoItsKeyCannotBeSwappedInPlace() {
    scenario.createArray("fixed", 1, "1s", "1s");
    Secret generation = scenario.secret("fixed-ca-g1");
    assertThat(generation.getImmutable()).isTrue();
    assertThatThrownBy(() -> scenario.client().secrets().inNamespace(scenario.ns()).withName("fixed-ca-g1")
        .edit(s -> {
          s.getData().put("tls.key", s.getData().get("ca.crt"));
          return s;
        }))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(422);
          assertThat(e.getMessage()).contains("field is immutable");
        });
  }

  @Test
  void aReconcileThatFailsSaysWhyOnTheArraysDegradedConditionWithoutKeyMaterial() {
    scenario.createArray("stuck", 1, "1s", "1s");
    Secret good = scenario.secret("stuck-ca-g1");
    scenario.client().resource(good).withGracePeriod(0).delete();
    Waits.converge().until(() -> scenario.secret("stuck-ca-g1") == null
        || !good.getMetadata().getUid().equals(scenario.secret("stuck-ca-g1").getMetadata().getUid()));
    // a Secret that claims to be generation 1 and holds no readable key: every reconcile throws
    Secret broken = new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata().withName("stuck-ca-g1").withNamespace(scenario.ns())
        .withLabels(good.getMetadata().getLabels()).withAnnotations(good.getMetadata().getAnnotations())
        .endMetadata()
        .withData(java.util.Map.of("tls.crt", good.getData().get("tls.crt"),
            "tls.key", java.util.Base64.getEncoder().encodeToString("not a key".getBytes()),
            "ca.crt", good.getData().get("ca.crt")))
        .build();
    scenario.client().secrets().inNamespace(scenario.ns()).withName("stuck-ca-g2").delete();
    scenario.client().resource(broken).createOr(r -> r.update());
    Waits.converge().untilAsserted(() -> assertThat(
        io.arraypki.operator.k8s.Conditions.find(scenario.status("stuck").conditions, "Degraded"))
        .hasValueSatisfying(c -> {
          assertThat(c.getStatus()).isEqualTo("True");
          assertThat(c.getReason()).isEqualTo("ReconcileFailed");
          assertThat(c.getMessage()).contains("stuck-ca-g1").doesNotContain("PRIVATE KEY");
        }));
  }
}
