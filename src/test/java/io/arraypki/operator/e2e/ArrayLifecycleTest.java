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
import io.arraypki.operator.support.Quiescence;
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

  private void releaseFinalizers(String node) {
    client().resources(ArrayNode.class).inNamespace(ns()).withName(node).patch(
        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
        "{\"metadata\":{\"finalizers\":null}}");
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

  /**
   * Every spelling DESIGN.md section 2 allows for a pin ("any case, with or without colons or
   * prefix") and the CRD's pattern accepts: upper, lower and mixed case; colons, none, or some;
   * no prefix, {@code SHA256:}, {@code sha256:}, {@code SHA-256:}, {@code sha-256:}, {@code Sha256:}.
   */
  static java.util.Map<String, String> pinSpellings(String fingerprint) {
    String hex = fingerprint.substring("SHA256:".length()).replace(":", "").toUpperCase(Locale.ROOT);
    java.util.Map<String, String> digits = new java.util.LinkedHashMap<>();
    for (String letters : List.of("upper", "lower", "mixed")) {
      StringBuilder cased = new StringBuilder();
      for (int i = 0; i < hex.length(); i++) {
        char c = hex.charAt(i);
        cased.append(letters.equals("upper") ? c : letters.equals("lower") || i % 2 == 0
            ? Character.toLowerCase(c) : c);
      }
      String h = cased.toString();
      digits.put(letters + ", colons", String.join(":", h.split("(?<=\\G..)")));
      digits.put(letters + ", no colons", h);
    }
    digits.put("upper, some colons", hex.substring(0, 2) + ":" + hex.substring(2, 8) + ":" + hex.substring(8));
    java.util.Map<String, String> pins = new java.util.LinkedHashMap<>();
    for (String prefix : List.of("", "SHA256:", "sha256:", "SHA-256:", "sha-256:", "Sha256:")) {
      digits.forEach((how, d) -> pins.put((prefix.isEmpty() ? "no prefix" : prefix) + " " + how, prefix + d));
    }
    return pins;
  }

  @Test
  void aNodeWhosePinMatchesInAnySpellingJoinsAndIsIssuedByThePinnedCa() throws Exception {
    createArray("pinned", "pinned-1");
    String fp = Arrays.getArray(client(), ns(), "pinned").getStatus().ca.fingerprint;
    Path ca = Files.writeString(dir.resolve("pinned-ca.crt"), SecretData.text(secret("pinned-ca"), "tls.crt").orElseThrow());
    // the fingerprint status reports is the array CA's, as openssl prints it
    assertThat(Commands.openssl("x509", "-in", ca.toString(), "-noout", "-fingerprint", "-sha256").output().trim())
        .isEqualTo("sha256 Fingerprint=" + fp.substring("SHA256:".length()));
    java.util.Map<String, String> pins = pinSpellings(fp);
    java.util.Map<String, String> nodes = new java.util.LinkedHashMap<>();
    int i = 2;
    for (var pin : pins.entrySet()) {
      ArrayNode node = Arrays.node(ns(), "pinned-" + i, "pinned");
      node.getSpec().trustedCAFingerprint = pin.getValue();
      client().resource(node).create();
      nodes.put("pinned-" + i++, pin.getKey() + " (" + pin.getValue() + ")");
    }
    Waits.converge().untilAsserted(() -> {
      for (var entry : nodes.entrySet()) {
        var status = Arrays.get(client(), ns(), entry.getKey()).getStatus();
        assertThat(status).as(entry.getValue()).isNotNull();
        assertThat(Conditions.find(status.conditions, "TrustVerified").map(c -> c.getReason() + ": " + c.getMessage()))
            .as(entry.getKey() + " pinned " + entry.getValue()).hasValueSatisfying(r -> assertThat(r).startsWith("PinMatched"));
      }
    });
    Arrays.awaitArrayReady(client(), ns(), "pinned", 1 + pins.size());
    assertThat(Arrays.getArray(client(), ns(), "pinned").getStatus().ca.fingerprint).as("still the pinned CA").isEqualTo(fp);
    for (var entry : nodes.entrySet()) {
      String what = entry.getKey() + " pinned " + entry.getValue();
      ArrayNode joined = Arrays.get(client(), ns(), entry.getKey());
      assertThat(Conditions.find(joined.getStatus().conditions, "TrustVerified").orElseThrow().getReason())
          .as(what).isEqualTo("PinMatched");
      assertThat(joined.getStatus().joinedArray.name).as(what).isEqualTo("pinned");
      assertThat(joined.getStatus().caFingerprint).as(what + ": the CA that signed its certificate").isEqualTo(fp);
      Secret peer = secret(entry.getKey() + "-peer-tls");
      assertThat(SecretData.text(peer, "ca.crt").orElseThrow()).as(what).isEqualTo(trust("pinned").getData().get("ca.crt"));
      Path leaf = Files.writeString(dir.resolve(entry.getKey() + ".crt"), Crl.leafPem(peer));
      assertThat(Commands.openssl("verify", "-CAfile", ca.toString(), leaf.toString()).output())
          .as(what + ": its certificate verifies against the pinned CA alone").contains(": OK");
    }
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

  /** No finalizer: the Node goes at once, and its array, which owns its Secrets, revokes them. */
  @Test
  void aDeletedNodeGoesAtOnceAndItsArrayRevokesAndRemovesItsSecretsWithAnEvent() {
    createArray("del", "del-1", "del-2");
    Secret before = secret("del-2-peer-tls");
    client().resources(ArrayNode.class).inNamespace(ns()).withName("del-2").delete();
    Waits.converge().untilAsserted(() -> {
      assertThat(Arrays.get(client(), ns(), "del-2")).isNull();
      assertThat(secret("del-2-peer-tls")).isNull();
    });
    assertThat(Crl.verify(dir, trust("del"), Crl.leafPem(before))).contains("certificate revoked");
    // the Event is written after the deletion it tells of
    Waits.converge().untilAsserted(() -> assertThat(events("ClusterArray", "del")).anySatisfy(e -> {
      assertThat(e.getReason()).isEqualTo("MaterialRevoked");
      assertThat(e.getMessage()).contains("del-2").contains("node removed");
    }));
    Arrays.awaitArrayReady(client(), ns(), "del", 1);
  }

  @Test
  void aMembersSecretsAreOwnedByItsArrayAndTheNodeCarriesNoFinalizer() {
    createArray("own", "own-1", "own-2");
    ArrayNode node = Arrays.get(client(), ns(), "own-2");
    ClusterArray array = Arrays.getArray(client(), ns(), "own");
    assertThat(node.getMetadata().getFinalizers()).as("finalizers of a member").isNullOrEmpty();
    for (String name : List.of("own-2-peer-tls", "own-1-client-tls")) {
      assertThat(secret(name).getMetadata().getOwnerReferences()).as("owners of " + name).singleElement()
          .satisfies(r -> {
            assertThat(r.getKind()).isEqualTo("ClusterArray");
            assertThat(r.getUid()).isEqualTo(array.getMetadata().getUid());
            assertThat(r.getController()).isTrue();
          });
    }
    assertThat(client().resources(io.fabric8.kubernetes.api.model.rbac.Role.class).inNamespace(ns())
        .withLabel("arraypki.io/node", "own-2").list().getItems())
        .as("the node's access rules stay the Node's, for the garbage collector")
        .allSatisfy(r -> assertThat(r.getMetadata().getOwnerReferences().get(0).getUid())
            .isEqualTo(node.getMetadata().getUid()));
  }

  /**
   * An earlier version put a finalizer on every Node and made the Node the controller of its
   * Secrets. The Secret is handed to the array with its certificate unchanged, and only then
   * does the finalizer come off (a Node deleted before that would take its Secret, unrevoked,
   * with it through the garbage collector).
   */
  @Test
  void aNodeFromAnEarlierVersionIsHandedToItsArrayKeepingItsCertificateThenLosesItsFinalizer() {
    createArray("legacy", "legacy-1", "legacy-2");
    ArrayNode node = Arrays.get(client(), ns(), "legacy-2");
    String serial = node.getStatus().peerCertificate.serialNumber;
    String ownedByTheNode = "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"arraypki.io/v1alpha1\","
        + "\"kind\":\"Node\",\"name\":\"legacy-2\",\"uid\":\"" + node.getMetadata().getUid()
        + "\",\"controller\":true,\"blockOwnerDeletion\":true}]}}";
    client().secrets().inNamespace(ns()).withName("legacy-2-peer-tls").patch(
        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
        ownedByTheNode);
    scenario.patch(ArrayNode.class, "legacy-2",
        "{\"metadata\":{\"finalizers\":[\"" + io.arraypki.operator.k8s.LegacyFinalizers.NODE + "\"]}}");
    String arrayUid = Arrays.getArray(client(), ns(), "legacy").getMetadata().getUid();
    try {
      Waits.converge().untilAsserted(() -> {
        assertThat(secret("legacy-2-peer-tls").getMetadata().getOwnerReferences()).singleElement()
            .satisfies(r -> assertThat(r.getUid()).isEqualTo(arrayUid));
        assertThat(Arrays.get(client(), ns(), "legacy-2").getMetadata().getFinalizers()).isNullOrEmpty();
      });
    } finally {
      releaseFinalizers("legacy-2"); // failing, the namespace must still go
    }
    assertThat(Arrays.get(client(), ns(), "legacy-2").getStatus().peerCertificate.serialNumber)
        .as("the certificate it held").isEqualTo(serial);
    assertThat(Crl.verify(dir, trust("legacy"), Crl.leafPem(secret("legacy-2-peer-tls")))).contains(": OK");
  }

  /** Deleted while it still carried an earlier version's finalizer: revoked first, then released. */
  @Test
  void aNodeDeletedWithAnEarlierVersionsFinalizerIsRevokedThenReleased() {
    createArray("legacydel", "legacydel-1", "legacydel-2");
    Secret before = secret("legacydel-2-peer-tls");
    client().resources(ArrayNode.class).inNamespace(ns()).withName("legacydel-2").patch(
        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
        "{\"metadata\":{\"finalizers\":[\"" + io.arraypki.operator.k8s.LegacyFinalizers.NODE
            + "\",\"example.com/keep\"]}}");
    client().resources(ArrayNode.class).inNamespace(ns()).withName("legacydel-2").delete();
    try {
      Waits.converge().untilAsserted(() -> {
        assertThat(secret("legacydel-2-peer-tls")).isNull();
        assertThat(Arrays.get(client(), ns(), "legacydel-2").getMetadata().getFinalizers())
            .as("someone else's finalizer is left alone").containsExactly("example.com/keep");
      });
    } catch (AssertionError | RuntimeException e) {
      releaseFinalizers("legacydel-2");
      throw e;
    }
    assertThat(Crl.verify(dir, trust("legacydel"), Crl.leafPem(before))).contains("certificate revoked");
    releaseFinalizers("legacydel-2");
    Waits.converge().untilAsserted(() -> assertThat(Arrays.get(client(), ns(), "legacydel-2")).isNull());
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
  void aPrimaryThatIsNoMemberOrNotMasterCapableDegradesAndReplacesNothing() {
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
  void anOfflinePrimaryDegradesTheArrayAndReplacesNothing() {
    createArray("dark", "dark-1", "dark-2", "dark-3");
    var caBefore = Arrays.getArray(client(), ns(), "dark").getStatus().ca.fingerprint;
    scenario.patch(ArrayNode.class, "dark-3", "{\"spec\":{\"offline\":true}}");
    Waits.converge().untilAsserted(() -> {
      assertThat(Arrays.get(client(), ns(), "dark-3").getStatus().role).isEqualTo(NodeRole.Offline);
      assertThat(secret("dark-3-peer-tls")).as("an offline node's material").isNull();
      assertThat(secret("dark-3-client-tls")).isNull();
    });
    String revocationsBefore = trust("dark").getData().get("revocations.json"); // dark-3's own, as an offline node
    var others = Quiescence.secretVersions(scenario, "dark");
    scenario.setPrimary("dark", "dark-3");
    Waits.converge().untilAsserted(() -> {
      var degraded = Conditions.find(Arrays.getArray(client(), ns(), "dark").getStatus().conditions, "Degraded")
          .orElseThrow();
      assertThat(degraded.getStatus()).isEqualTo("True");
      assertThat(degraded.getReason()).isEqualTo("PrimaryOffline");
      assertThat(degraded.getMessage()).contains("dark-3").contains("spec.offline to false");
    });
    var status = Arrays.getArray(client(), ns(), "dark").getStatus();
    assertThat(status.ca.fingerprint).as("no new CA").isEqualTo(caBefore);
    assertThat(status.ca.generation).isEqualTo(1L);
    assertThat(status.rotation.phase.name()).isEqualTo("Idle");
    assertThat(status.trustedCAs).hasSize(1);
    assertThat(secret("dark-ca-g2")).isNull();
    assertThat(trust("dark").getData().get("revocations.json")).as("nothing revoked").isEqualTo(revocationsBefore);
    Quiescence.assertNoSecretMovesAcrossForcedReconciles(scenario, "dark", List.of("dark-1", "dark-2"), 1,
        "the Secrets of an array whose primary is offline");
    assertThat(Quiescence.secretVersions(scenario, "dark")).as("nothing reissued or removed").isEqualTo(others);
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
    // the array's status may still count the node as it was a moment ago: wait for the node itself
    Waits.converge().untilAsserted(() -> {
      assertThat(Arrays.get(client(), ns(), "off-2").getStatus().role).isNotEqualTo(NodeRole.Offline);
      assertThat(secret("off-2-peer-tls")).as("issued afresh").isNotNull()
          .satisfies(s -> assertThat(SecretData.text(s, "tls.crt")).isPresent());
    });
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
    // once: reconciles of the node and its array (forced, and seen to run) write no Secret
    Quiescence.assertNoSecretMovesAcrossForcedReconciles(scenario, "renew", List.of("renew-1"), 2,
        "the Secrets of a node whose renew value was answered");
    assertThat(SecretData.text(secret("renew-1-peer-tls"), "tls.crt")).isEqualTo(SecretData.text(second, "tls.crt"));
  }

  private void annotate(String node, String token) {
    scenario.patch(ArrayNode.class, node, "{\"metadata\":{\"annotations\":{\"arraypki.io/renew\":\"" + token + "\"}}}");
  }

  @Test
  void certificatesRenewOnTimeWithANewKeyAndSerial() {
    ClusterArray array = Arrays.array(ns(), "short", "short-1");
    array.getSpec().peerCertificates = new PeerCertificatesSpec();
    // due 20 s after issue, with 160 s to spare before expiry: time for a reconcile held back on a
    // busy machine to still renew before the end
    array.getSpec().peerCertificates.duration = "3m";
    array.getSpec().peerCertificates.renewBefore = "2m40s";
    client().resource(array).create();
    client().resource(Arrays.node(ns(), "short-1", "short")).create();
    Arrays.awaitArrayReady(client(), ns(), "short", 1);
    Secret first = secret("short-1-peer-tls");
    var firstCert = Pem.certificate(Crl.leafPem(first), "leaf");
    assertThat(Duration.between(firstCert.getNotBefore().toInstant(), firstCert.getNotAfter().toInstant()))
        .isEqualTo(Duration.ofMinutes(3));
    Waits.upTo(Duration.ofMinutes(3)).untilAsserted(() ->
        assertThat(Pem.certificate(Crl.leafPem(secret("short-1-peer-tls")), "leaf").getSerialNumber())
            .isNotEqualTo(firstCert.getSerialNumber()));
    var secondCert = Pem.certificate(Crl.leafPem(secret("short-1-peer-tls")), "leaf");
    // renewed at notAfter - renewBefore (20 s after issue), not at expiry
    assertThat(secondCert.getNotBefore().toInstant()).isBefore(firstCert.getNotAfter().toInstant());
    assertThat(secondCert.getPublicKey()).isNotEqualTo(firstCert.getPublicKey());
  }
}
