package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ServiceCertificateSpec;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Crl;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.TrustFixtures;
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

  /** A ledger entry for {@code secret}'s certificate, as a wrong revocation would have written it. */
  private static String entryFor(Secret secret, String node) {
    var cert = io.arraypki.operator.pki.Pem.certificate(Crl.leafPem(secret), "leaf");
    return "{\"serial\":\"" + revoked(secret) + "\",\"caGeneration\":1,\"revokedAt\":\""
        + java.time.Instant.now().toString() + "\",\"notAfter\":\"" + cert.getNotAfter().toInstant()
        + "\",\"node\":\"" + node + "\",\"reason\":\"Removed\"}";
  }

  /**
   * What a wrong revocation leaves (a second operator once put a healthy array's live
   * certificates on its CRL): the array's verify finds a certificate in use on its own CRL and
   * says so, and the holder gets a new certificate its peers accept. (A member's own reconciler
   * may replace its certificate before the array's verify sees it; the service certificate is
   * the array's alone, so the verify's report is checked on it.)
   */
  @Test
  void aCertificateInUseOnTheArraysOwnCrlIsReportedByVerifyAndReissued() {
    ClusterArray array = Arrays.array(ns(), "wrong", "wrong-0");
    array.getSpec().serviceCertificate = new ServiceCertificateSpec();
    array.getSpec().serviceCertificate.commonName = "wrong.example.com";
    client().resource(array).create();
    client().resource(Arrays.node(ns(), "wrong-0", "wrong")).create();
    client().resource(Arrays.node(ns(), "wrong-1", "wrong")).create();
    Arrays.awaitArrayReady(client(), ns(), "wrong", 2);
    Waits.converge().until(() -> scenario.secret("wrong-service-tls") != null);
    Secret member = scenario.secret("wrong-1-peer-tls");
    Secret service = scenario.secret("wrong-service-tls");
    client().configMaps().inNamespace(ns()).withName("wrong-trust").edit(cm -> {
      cm.getData().put("revocations.json", "[" + entryFor(member, "wrong-1") + ",\n"
          + entryFor(service, "") + "]\n");
      return cm;
    });
    Waits.converge().untilAsserted(() -> {
      ConfigMap trust = trust("wrong");
      for (Secret before : java.util.List.of(member, service)) {
        Secret now = scenario.secret(before.getMetadata().getName());
        assertThat(Crl.leafPem(now)).as(before.getMetadata().getName()).isNotEqualTo(Crl.leafPem(before));
        assertThat(Crl.verify(dir, trust, Crl.leafPem(before))).contains("certificate revoked");
        assertThat(Crl.verify(dir, trust, Crl.leafPem(now))).contains(": OK");
      }
    });
    assertThat(client().v1().events().inNamespace(ns()).list().getItems())
        .anySatisfy(e -> {
          assertThat(e.getReason()).isEqualTo("VerifyFailed");
          assertThat(e.getMessage()).contains("RevokedCertificateInUse").contains("wrong-service-tls");
        });
    Arrays.awaitArrayReady(client(), ns(), "wrong", 2);
  }

  private static String revoked(Secret secret) {
    return io.arraypki.operator.pki.Pem.certificate(Crl.leafPem(secret), "leaf").getSerialNumber()
        .toString(16).toUpperCase(java.util.Locale.ROOT);
  }
}
