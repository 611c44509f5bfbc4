package io.arraypki.operator.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.file.Path;

/** An array's published trust, its Warnings, and an array with one revoked member, for the ledger tests. */
public final class TrustFixtures {
  private TrustFixtures() {}

  public static ConfigMap trust(Scenario scenario, String array) {
    return scenario.client().configMaps().inNamespace(scenario.ns()).withName(array + "-trust").get();
  }

  public static boolean warned(Scenario scenario, String array, String reason) {
    return scenario.client().v1().events().inNamespace(scenario.ns()).list().getItems().stream()
        .anyMatch(e -> array.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())
            && "Warning".equals(e.getType()));
  }

  /** An array of three whose node {@code <array>-2} left: its peer certificate (returned) is on the CRL. */
  public static Secret arrayWithARevokedMember(Scenario scenario, Path dir, String array) {
    scenario.createArray(array, 3, "1s", "1s");
    Secret leaving = scenario.secret(array + "-2-peer-tls");
    scenario.patch(ArrayNode.class, array + "-2", "{\"spec\":{\"array\":\"\"}}");
    Waits.converge().untilAsserted(() ->
        assertThat(Crl.verify(dir, trust(scenario, array), Crl.leafPem(leaving))).contains("certificate revoked"));
    return leaving;
  }
}
