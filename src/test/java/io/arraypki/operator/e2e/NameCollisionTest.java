package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two owners that want one name: the operator adopts, overwrites or deletes nothing of the other
 * owner's, and the one refused says why (issue 13, bug 8).
 */
class NameCollisionTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();

  private final Scenario scenario = new Scenario(operator);

  @Test
  void aStandaloneNodeWhoseCaNameIsAnArraysCaAliasNeverSignsWithItNorDeletesIt() {
    scenario.createArray("x-standalone", 1, "1s", "1s");
    Secret alias = scenario.secret("x-standalone-ca");
    ArrayNode standalone = Arrays.node(scenario.ns(), "x", "x-standalone");
    standalone.getSpec().array = "";
    scenario.client().resource(standalone).create();
    Waits.converge().untilAsserted(() -> {
      ArrayNode node = Arrays.get(scenario.client(), scenario.ns(), "x");
      assertThat(node.getStatus()).isNotNull();
      assertThat(Conditions.find(node.getStatus().conditions, "Ready")).hasValueSatisfying(c -> {
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo("NameCollision");
        assertThat(c.getMessage()).contains("x-standalone-ca").contains("ClusterArray x-standalone");
      });
    });
    assertThat(scenario.secret("x-peer-tls")).as("nothing signed with another owner's CA").isNull();
    assertThat(scenario.secret("x-standalone-ca").getData()).isEqualTo(alias.getData());

    // joining the array, the node drops "its" standalone CA: not the array's alias of that name
    scenario.patch(ArrayNode.class, "x", "{\"spec\":{\"array\":\"x-standalone\"}}");
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "x-standalone", 2);
    Secret after = scenario.secret("x-standalone-ca");
    assertThat(after).isNotNull();
    assertThat(after.getMetadata().getUid()).isEqualTo(alias.getMetadata().getUid());
    assertThat(after.getData()).isEqualTo(alias.getData());
  }
}
