package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.NodeRole;
import io.arraypki.operator.api.PeerCertificatesSpec;
import io.arraypki.operator.api.RotationSpec;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.Crl;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Every row of DESIGN.md section 3, each on an array of its own. */
class ArrayLifecycleTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();
  @TempDir Path dir;

  private final Scenario scenario = new Scenario(operator);

  private KubernetesClient client() {
    return scenario.client();
  }

  private String ns() {
    return scenario.ns();
  }

  private void createArray(String array, String... nodes) {
    client().resource(Arrays.array(ns(), array, nodes[0])).create();
    for (String node : nodes) {
      client().resource(Arrays.node(ns(), node, array)).create();
    }
    Arrays.awaitArrayReady(client(), ns(), array, nodes.length);
  }

  private ConfigMap trust(String array) {
    return client().configMaps().inNamespace(ns()).withName(array + "-trust").get();
  }

  private Secret secret(String name) {
    return scenario.secret(name);
  }

  private List<Event> events(String kind, String name) {
    return client().v1().events().inNamespace(ns()).list().getItems().stream()
        .filter(e -> kind.equals(e.getInvolvedObject().getKind()) && name.equals(e.getInvolvedObject().getName()))
        .toList();
  }

  @Test
  void aNewArrayPublishesItsCaAndAnEmptyCrlSignedByIt() throws Exception {
    createArray("new", "new-1");
    ConfigMap trust = trust("new");
    assertThat(trust.getData()).containsKeys("ca.crt", "crl.pem", "revocations.json");
    Path crl = Files.writeString(dir.resolve("crl.pem"), trust.getData().get("crl.pem"));
    Path ca = Files.writeString(dir.resolve("ca.crt"), trust.getData().get("ca.crt"));
    String text = Commands.openssl("crl", "-in", crl.toString(), "-noout", "-text").output();
    assertThat(text).contains("Issuer: CN = new CA g1").contains("X509v3 CRL Number").contains("Next Update")
        .contains("X509v3 Authority Key Identifier").contains("No Revoked Certificates");
    assertThat(Commands.openssl("crl", "-in", crl.toString(), "-noout", "-CAfile", ca.toString()).output())
        .contains("verify OK");
    assertThat(Crl.verify(dir, trust, Crl.leafPem(secret("new-1-peer-tls")))).contains(": OK");
  }

  @Test
  void aNodeWhosePinMatchesInAnySpellingJoins() {
    createArray("pinned", "pinned-1");
    String fp = Arrays.getArray(client(), ns(), "pinned").getStatus().ca.fingerprint;
    ArrayNode node = Arrays.node(ns(), "pinned-2", "pinned");
    node.getSpec().trustedCAFingerprint = fp.substring(7).replace(":", "").toLowerCase(Locale.ROOT);
    client().resource(node).create();
    Arrays.awaitArrayReady(client(), ns(), "pinned", 2);
    ArrayNode joined = Arrays.get(client(), ns(), "pinned-2");
    assertThat(Conditions.find(joined.getStatus().conditions, "TrustVerified").orElseThrow().getReason())
        .isEqualTo("PinMatched");
    assertThat(joined.getStatus().joinedArray.name).isEqualTo("pinned");
    assertThat(SecretData.text(secret("pinned-2-peer-tls"), "ca.crt").orElseThrow())
        .isEqualTo(trust("pinned").getData().get("ca.crt"));
  }

  @Test
  void aPinMismatchIssuesNothingAndAnEventNamesBothFingerprints() {
    createArray("guarded", "guarded-1");
    String actual = Arrays.getArray(client(), ns(), "guarded").getStatus().ca.fingerprint;
    String wrong = "SHA256:" + "AB:".repeat(31) + "AB";
    ArrayNode node = Arrays.node(ns(), "guarded-2", "guarded");
    node.getSpec().trustedCAFingerprint = wrong;
    client().resource(node).create();
    Waits.converge().untilAsserted(() -> {
      var status = Arrays.get(client(), ns(), "guarded-2").getStatus();
      var trust = Conditions.find(status.conditions, "TrustVerified").orElseThrow();
      assertThat(trust.getStatus()).isEqualTo("False");
      assertThat(trust.getReason()).isEqualTo("FingerprintMismatch");
      assertThat(events("Node", "guarded-2")).anySatisfy(e -> {
        assertThat(e.getReason()).isEqualTo("FingerprintMismatch");
        assertThat(e.getMessage()).contains(wrong).contains(actual);
      });
    });
    assertThat(secret("guarded-2-peer-tls")).isNull();
    assertThat(Arrays.get(client(), ns(), "guarded-2").getStatus().peerCertificate).isNull();
  }

  @Test
  void aLeavingNodeIsRevokedOnTheArrayCrlAndStandsAloneWithItsOwnCaThenRejoins() {
    createArray("leave", "leave-1", "leave-2");
    Secret before = secret("leave-2-peer-tls");
    scenario.patch(ArrayNode.class, "leave-2", "{\"spec\":{\"array\":\"\"}}");
    Waits.converge().untilAsserted(() -> {
      ArrayNode node = Arrays.get(client(), ns(), "leave-2");
      assertThat(node.getStatus().role).isEqualTo(NodeRole.Standalone);
      assertThat(Conditions.isTrue(node.getStatus().conditions, "Ready")).isTrue();
    });
    assertThat(Crl.verify(dir, trust("leave"), Crl.leafPem(before))).contains("certificate revoked");
    Secret ownCa = secret("leave-2-standalone-ca");
    assertThat(ownCa).isNotNull();
    Secret standalone = secret("leave-2-peer-tls");
    String ownCaPem = SecretData.text(ownCa, "tls.crt").orElseThrow();
    assertThat(SecretData.text(standalone, "ca.crt").orElseThrow()).isEqualTo(ownCaPem);
    assertThat(Pem.certificate(Crl.leafPem(standalone), "leaf").getIssuerX500Principal().getName())
        .isEqualTo("CN=leave-2 CA g1");
    assertThat(Arrays.get(client(), ns(), "leave-2").getStatus().caFingerprint)
        .isNotEqualTo(Arrays.getArray(client(), ns(), "leave").getStatus().ca.fingerprint);
    assertThat(Arrays.getArray(client(), ns(), "leave").getStatus().members).isEqualTo(1);

    scenario.patch(ArrayNode.class, "leave-2", "{\"spec\":{\"array\":\"leave\"}}");
    Arrays.awaitArrayReady(client(), ns(), "leave", 2);
    Waits.converge().untilAsserted(() -> assertThat(secret("leave-2-standalone-ca")).isNull());
    assertThat(Crl.verify(dir, trust("leave"), Crl.leafPem(secret("leave-2-peer-tls")))).contains(": OK");
  }

  @Test
  void aDeletedNodeIsRevokedItsSecretsRemovedThenReleasedWithAnEventOnTheArray() {
    createArray("del", "del-1", "del-2");
    Secret before = secret("del-2-peer-tls");
    client().resources(ArrayNode.class).inNamespace(ns()).withName("del-2").delete();
    Waits.converge().untilAsserted(() -> {
      assertThat(Arrays.get(client(), ns(), "del-2")).isNull();
      assertThat(secret("del-2-peer-tls")).isNull();
    });
    assertThat(Crl.verify(dir, trust("del"), Crl.leafPem(before))).contains("certificate revoked");
    assertThat(events("ClusterArray", "del")).anySatisfy(e -> {
      assertThat(e.getReason()).isEqualTo("MaterialRevoked");
      assertThat(e.getMessage()).contains("del-2").contains("node deleted");
    });
    Arrays.awaitArrayReady(client(), ns(), "del", 1);
  }

  @Test
  void deletingAnArrayLetsTheGarbageCollectorRemoveEverythingItOwns() {
    createArray("gone", "gone-1");
    client().resources(ClusterArray.class).inNamespace(ns()).withName("gone").delete();
    Waits.converge().untilAsserted(() -> {
      assertThat(secret("gone-ca")).isNull();
      assertThat(secret("gone-ca-g1")).isNull();
      assertThat(trust("gone")).isNull();
    });
  }

  @Test
  void aPrimaryThatIsNoMemberOfflineOrNotMasterCapableDegradesAndReplacesNothing() {
    client().resource(Arrays.array(ns(), "headless", "ghost")).create();
    client().resource(Arrays.node(ns(), "headless-1", "headless")).create();
    Waits.converge().untilAsserted(() -> {
      var status = Arrays.getArray(client(), ns(), "headless").getStatus();
      var degraded = Conditions.find(status.conditions, "Degraded").orElseThrow();
      assertThat(degraded.getStatus()).isEqualTo("True");
      assertThat(degraded.getReason()).isEqualTo("PrimaryNotMember");
      assertThat(degraded.getMessage()).contains("create Node ghost");
    });
    assertThat(secret("headless-ca")).isNull();
    assertThat(secret("headless-1-peer-tls")).isNull();

    createArray("steady", "steady-1", "steady-2");
    var caBefore = Arrays.getArray(client(), ns(), "steady").getStatus().ca.fingerprint;
    scenario.patch(ArrayNode.class, "steady-2", "{\"spec\":{\"masterCapable\":false}}");
    scenario.setPrimary("steady", "steady-2");
    Waits.converge().untilAsserted(() -> {
      var status = Arrays.getArray(client(), ns(), "steady").getStatus();
      assertThat(Conditions.find(status.conditions, "Degraded").orElseThrow().getReason())
          .isEqualTo("PrimaryNotMasterCapable");
    });
    var status = Arrays.getArray(client(), ns(), "steady").getStatus();
    assertThat(status.ca.fingerprint).isEqualTo(caBefore);
    assertThat(status.rotation.phase.name()).isEqualTo("Idle");
    assertThat(status.trustedCAs).hasSize(1);
    assertThat(secret("steady-ca-g2")).isNull();
  }

  @Test
  void anOfflineNodeLosesItsMaterialAndIsRevokedThenIsIssuedAfreshOnline() {
    createArray("off", "off-1", "off-2");
    Secret before = secret("off-2-peer-tls");
    scenario.patch(ArrayNode.class, "off-2", "{\"spec\":{\"offline\":true}}");
    Waits.converge().untilAsserted(() -> {
      assertThat(secret("off-2-peer-tls")).isNull();
      assertThat(Arrays.get(client(), ns(), "off-2").getStatus().role).isEqualTo(NodeRole.Offline);
    });
    assertThat(Crl.verify(dir, trust("off"), Crl.leafPem(before))).contains("certificate revoked");
    scenario.patch(ArrayNode.class, "off-2", "{\"spec\":{\"offline\":false}}");
    Arrays.awaitArrayReady(client(), ns(), "off", 2);
    Secret after = secret("off-2-peer-tls");
    assertThat(Pem.certificate(Crl.leafPem(after), "leaf").getSerialNumber())
        .isNotEqualTo(Pem.certificate(Crl.leafPem(before), "leaf").getSerialNumber());
    assertThat(Crl.verify(dir, trust("off"), Crl.leafPem(after))).contains(": OK");
  }

  @Test
  void theRenewAnnotationGivesANodeANewKeyOncePerValueAndRevokesTheOldOneAfterTheTrustPropagationDelay() {
    ClusterArray array = Arrays.array(ns(), "renew", "renew-1");
    array.getSpec().rotation = new RotationSpec();
    array.getSpec().rotation.trustPropagationDelay = "8s";
    client().resource(array).create();
    client().resource(Arrays.node(ns(), "renew-1", "renew")).create();
    Arrays.awaitArrayReady(client(), ns(), "renew", 1);
    Secret first = secret("renew-1-peer-tls");
    annotate("renew-1", "r1");
    Waits.converge().untilAsserted(() ->
        assertThat(Arrays.get(client(), ns(), "renew-1").getStatus().lastHandledRenewal).isEqualTo("r1"));
    Instant renewed = Instant.now();
    Secret second = secret("renew-1-peer-tls");
    assertThat(SecretData.text(second, "tls.key")).isNotEqualTo(SecretData.text(first, "tls.key"));
    // the replaced certificate stays valid while the member's pod may not have its new one yet
    assertThat(Crl.verify(dir, trust("renew"), Crl.leafPem(first))).as("right after the renewal").contains(": OK");
    Waits.converge().untilAsserted(() ->
        assertThat(Crl.verify(dir, trust("renew"), Crl.leafPem(first))).contains("certificate revoked"));
    assertThat(Duration.between(renewed, Instant.now())).as("revoked after the 8 s delay, not at once")
        .isGreaterThanOrEqualTo(Duration.ofSeconds(5));
    // the same value again (re-applied) changes nothing
    annotate("renew-1", "r1");
    Waits.upTo(Duration.ofSeconds(5)).pollDelay(Duration.ofSeconds(3)).until(() -> true);
    assertThat(SecretData.text(secret("renew-1-peer-tls"), "tls.crt")).isEqualTo(SecretData.text(second, "tls.crt"));
  }

  private void annotate(String node, String token) {
    scenario.patch(ArrayNode.class, node, "{\"metadata\":{\"annotations\":{\"arraypki.io/renew\":\"" + token + "\"}}}");
  }

  @Test
  void certificatesRenewOnTimeWithANewKeyAndSerial() {
    ClusterArray array = Arrays.array(ns(), "short", "short-1");
    array.getSpec().peerCertificates = new PeerCertificatesSpec();
    array.getSpec().peerCertificates.duration = "1m";
    array.getSpec().peerCertificates.renewBefore = "45s";
    client().resource(array).create();
    client().resource(Arrays.node(ns(), "short-1", "short")).create();
    Arrays.awaitArrayReady(client(), ns(), "short", 1);
    Secret first = secret("short-1-peer-tls");
    var firstCert = Pem.certificate(Crl.leafPem(first), "leaf");
    assertThat(Duration.between(firstCert.getNotBefore().toInstant(), firstCert.getNotAfter().toInstant()))
        .isEqualTo(Duration.ofMinutes(1));
    Waits.upTo(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(Pem.certificate(Crl.leafPem(secret("short-1-peer-tls")), "leaf").getSerialNumber())
            .isNotEqualTo(firstCert.getSerialNumber()));
    var secondCert = Pem.certificate(Crl.leafPem(secret("short-1-peer-tls")), "leaf");
    // renewed at notAfter - renewBefore (15s after issue), not at expiry
    assertThat(secondCert.getNotBefore().toInstant()).isBefore(firstCert.getNotAfter().toInstant());
    assertThat(secondCert.getPublicKey()).isNotEqualTo(firstCert.getPublicKey());
  }
}
