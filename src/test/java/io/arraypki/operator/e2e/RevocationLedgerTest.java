package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Crl;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The revocation ledger survives the deletion or an edit of any one of its two copies (the trust
 * ConfigMap, the ledger Secret): issue 13, bug 1. ({@link RevocationLedgerFailsClosedTest}: bug 2.)
 */
class RevocationLedgerTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();
  @TempDir Path dir;

  private final Scenario scenario = new Scenario(operator);

  private KubernetesClient client() {
    return scenario.client();
  }

  private String ns() {
    return scenario.ns();
  }

  private ConfigMap trust(String array) {
    return client().configMaps().inNamespace(ns()).withName(array + "-trust").get();
  }

  /** An array of three whose third node left: its peer certificate is on the CRL. */
  private Secret arrayWithARevokedMember(String array) {
    scenario.createArray(array, 3, "1s", "1s");
    Secret leaving = scenario.secret(array + "-2-peer-tls");
    scenario.patch(ArrayNode.class, array + "-2", "{\"spec\":{\"array\":\"\"}}");
    Waits.converge().untilAsserted(() ->
        assertThat(Crl.verify(dir, trust(array), Crl.leafPem(leaving))).contains("certificate revoked"));
    return leaving;
  }

  private boolean warned(String array, String reason) {
    return client().v1().events().inNamespace(ns()).list().getItems().stream()
        .anyMatch(e -> array.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())
            && "Warning".equals(e.getType()));
  }

  @Test
  void aDeletedTrustConfigMapIsRecreatedWithACrlThatStillRevokesWhatWasRevoked() {
    Secret revoked = arrayWithARevokedMember("gone");
    String uid = trust("gone").getMetadata().getUid();
    client().configMaps().inNamespace(ns()).withName("gone-trust").delete();
    Waits.converge().untilAsserted(() -> {
      ConfigMap recreated = trust("gone");
      assertThat(recreated).isNotNull();
      assertThat(recreated.getMetadata().getUid()).isNotEqualTo(uid);
      assertThat(Crl.verify(dir, recreated, Crl.leafPem(revoked))).contains("certificate revoked");
    });
    Waits.converge().until(() -> warned("gone", "TrustConfigMapRestored"));
    assertThat(Crl.verify(dir, trust("gone"), Crl.leafPem(scenario.secret("gone-0-peer-tls")))).contains(": OK");
  }

  @Test
  void revocationsEditedOutOfEitherCopyAreRestoredFromTheOther() {
    Secret revoked = arrayWithARevokedMember("edited");
    client().configMaps().inNamespace(ns()).withName("edited-trust")
        .edit(cm -> {
          cm.getData().put("revocations.json", "[]\n");
          return cm;
        });
    Waits.converge().until(() -> warned("edited", "RevocationsRestored"));
    Waits.converge().untilAsserted(() ->
        assertThat(Crl.verify(dir, trust("edited"), Crl.leafPem(revoked))).contains("certificate revoked"));

    client().secrets().inNamespace(ns()).withName("edited-revocations").delete();
    Waits.converge().untilAsserted(() -> {
      Secret kept = scenario.secret("edited-revocations");
      assertThat(kept).isNotNull();
      assertThat(SecretData.text(kept, "revocations.json").orElseThrow())
          .isEqualTo(trust("edited").getData().get("revocations.json"));
    });
    assertThat(trust("edited").getData().get("revocations.json"))
        .contains(revoked(revoked));
  }

  /**
   * What a wrong revocation leaves (a second operator once put a healthy array's live
   * certificates on its CRL): the verify finds the current certificate on the array's own CRL,
   * says so, and the member gets a new certificate its peers accept.
   */
  @Test
  void aCurrentCertificateOnTheArraysOwnCrlIsFoundByVerifyAndReissued() {
    scenario.createArray("wrong", 2, "1s", "1s");
    Secret live = scenario.secret("wrong-1-peer-tls");
    var cert = io.arraypki.operator.pki.Pem.certificate(Crl.leafPem(live), "leaf");
    String entry = "{\"serial\":\"" + revoked(live) + "\",\"caGeneration\":1,\"revokedAt\":\""
        + java.time.Instant.now().toString() + "\",\"notAfter\":\"" + cert.getNotAfter().toInstant()
        + "\",\"node\":\"wrong-1\",\"reason\":\"Removed\"}";
    client().configMaps().inNamespace(ns()).withName("wrong-trust").edit(cm -> {
      cm.getData().put("revocations.json", "[" + entry + "]\n");
      return cm;
    });
    Waits.converge().untilAsserted(() -> {
      Secret reissued = scenario.secret("wrong-1-peer-tls");
      assertThat(Crl.leafPem(reissued)).isNotEqualTo(Crl.leafPem(live));
      ConfigMap trust = trust("wrong");
      assertThat(Crl.verify(dir, trust, Crl.leafPem(live))).contains("certificate revoked");
      assertThat(Crl.verify(dir, trust, Crl.leafPem(reissued))).contains(": OK");
    });
    Waits.converge().until(() -> warned("wrong", "VerifyFailed") && client().v1().events().inNamespace(ns())
        .list().getItems().stream().anyMatch(e -> e.getMessage().contains("RevokedCertificateInUse")));
    Arrays.awaitArrayReady(client(), ns(), "wrong", 2);
  }

  private static String revoked(Secret secret) {
    return io.arraypki.operator.pki.Pem.certificate(Crl.leafPem(secret), "leaf").getSerialNumber()
        .toString(16).toUpperCase(java.util.Locale.ROOT);
  }
}
