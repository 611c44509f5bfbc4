package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.AuditLog;
import io.arraypki.operator.support.Crl;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.TrustFixtures;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A revocation ledger none of whose copies parses fails closed: the last good CRL stays, nothing
 * is revoked or removed, the array is Degraded with a reason and an Event, until a person repairs
 * it (issue 13, bug 2). In-process only: both copies must be broken while no operator runs.
 */
@Tag(OperatorUnderTest.IN_PROCESS_ONLY)
class RevocationLedgerFailsClosedTest {
  private static Operator current;

  // Registered first, so that its afterAll runs last: the namespace is deleted while one runs.
  @RegisterExtension
  @Order(1)
  static AfterAllCallback stopCurrent = context -> OperatorUnderTest.stop(current);

  @RegisterExtension
  @Order(2)
  static AbstractOperatorExtension operator = OperatorUnderTest.namespaceOnly();

  @TempDir Path dir;

  @BeforeAll
  static void anOperatorThatTheTestsCanStop() {
    current = OperatorUnderTest.fresh(operator.getNamespace());
  }

  private final Scenario scenario = new Scenario(operator);

  private ConfigMap trust(String array) {
    return TrustFixtures.trust(scenario, array);
  }

  private boolean warned(String array, String reason) {
    return TrustFixtures.warned(scenario, array, reason);
  }

  private Secret arrayWithARevokedMember(String array) {
    return TrustFixtures.arrayWithARevokedMember(scenario, dir, array);
  }

  private KubernetesClient client() {
    return scenario.client();
  }

  private String ns() {
    return scenario.ns();
  }

  @Test
  void aLedgerNoCopyOfWhichParsesFailsClosedKeepingTheLastCrlAndRemovingNothingUntilRepaired() {
    Secret revoked = arrayWithARevokedMember("broken");
    ConfigMap good = trust("broken");
    String goodLedger = good.getData().get("revocations.json");
    String goodCrl = good.getData().get("crl.pem");
    // both copies are broken while no operator runs: a running one repairs either from the other
    OperatorUnderTest.stop(current);
    AuditLog whileDown = AuditLog.fromNow();
    client().secrets().inNamespace(ns()).withName("broken-revocations").edit(s -> {
      s.setData(Map.of("revocations.json", Base64.getEncoder().encodeToString("[{\"serial\":".getBytes())));
      return s;
    });
    client().configMaps().inNamespace(ns()).withName("broken-trust").edit(cm -> {
      cm.getData().put("revocations.json", "[{\"serial\": \"zz\", \"caGeneration\": 1}]");
      return cm;
    });
    assertThat(whileDown.writeCountsIn(ns()).keySet()).as("writers while no operator ran")
        .noneMatch(agent -> agent.startsWith("arraypki"));
    current = OperatorUnderTest.fresh(ns());
    Waits.converge().untilAsserted(() -> {
      ClusterArrayStatus status = scenario.status("broken");
      assertThat(Conditions.find(status.conditions, "Degraded")).hasValueSatisfying(c -> {
        assertThat(c.getStatus()).isEqualTo("True");
        assertThat(c.getReason()).isEqualTo("RevocationLedgerCorrupt");
      });
    });
    assertThat(warned("broken", "RevocationLedgerCorrupt")).isTrue();
    // a second member leaves while the ledger is unreadable: its material stays until it can be revoked
    Secret second = scenario.secret("broken-1-peer-tls");
    scenario.patch(ArrayNode.class, "broken-1", "{\"spec\":{\"array\":\"\"}}");
    Waits.converge().until(() -> Arrays.getArray(client(), ns(), "broken").getStatus().members == 1);
    ConfigMap during = trust("broken");
    assertThat(during.getData().get("crl.pem")).as("the last good CRL stays").isEqualTo(goodCrl);
    assertThat(Crl.verify(dir, during, Crl.leafPem(revoked))).contains("certificate revoked");

    client().configMaps().inNamespace(ns()).withName("broken-trust").edit(cm -> {
      cm.getData().put("revocations.json", goodLedger);
      return cm;
    });
    Waits.converge().untilAsserted(() -> {
      assertThat(Conditions.find(scenario.status("broken").conditions, "Degraded"))
          .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));
      ConfigMap repaired = trust("broken");
      assertThat(Crl.verify(dir, repaired, Crl.leafPem(revoked))).contains("certificate revoked");
      assertThat(Crl.verify(dir, repaired, Crl.leafPem(second))).contains("certificate revoked");
    });
    assertThat(SecretData.text(scenario.secret("broken-revocations"), "revocations.json").orElseThrow())
        .isEqualTo(trust("broken").getData().get("revocations.json"));
  }

}
