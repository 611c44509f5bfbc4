package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** CA generation numbers only go up: two different CAs never share a number (issue 13, bug 4). */
class CaGenerationNumbersTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();

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
}
