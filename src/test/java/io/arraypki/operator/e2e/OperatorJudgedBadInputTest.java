package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.CaSpec;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.IssuerRef;
import io.arraypki.operator.api.KeystoreSpec;
import io.arraypki.operator.api.KeystoresSpec;
import io.arraypki.operator.api.SecretKeySelector;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.LeafSecrets;
import io.arraypki.operator.pki.KeyPairs;
import io.arraypki.operator.pki.KeySpec;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Bystander;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.PemFiles;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input only the operator can judge (the API server accepted it): each case ends in a
 * condition with a reason and an Event, is repaired where that is safe, and leaves an unrelated
 * array's Secrets exactly as they were ({@link Bystander}, checked after every test).
 */
class OperatorJudgedBadInputTest {
  @RegisterExtension @Order(1) static AbstractOperatorExtension operator = OperatorUnderTest.start();
  @RegisterExtension @Order(2) static Bystander bystander = new Bystander(operator);

  private final Scenario scenario = new Scenario(operator);
  @TempDir Path dir;

  // ------------------------------------------------------------------ the array's own spec

  @Test
  void aPrimaryThatIsNotAMemberDegradesTheArrayWithAnEventAndNamingAMemberRepairsIt() {
    ClusterArray array = Arrays.array(scenario.ns(), "lonely", "ghost");
    scenario.client().resource(array).create();
    scenario.client().resource(Arrays.node(scenario.ns(), "lonely-0", "lonely")).create();

    awaitArrayCondition("lonely", "Degraded", "True", "PrimaryNotMember");
    awaitEvent("ClusterArray", "lonely", "Warning", "PrimaryNotMember");
    assertThat(scenario.secret("lonely-ca")).as("no CA without a primary").isNull();

    scenario.setPrimary("lonely", "lonely-0");
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "lonely", 1);
  }

  // ------------------------------------------------------------------ bring-your-own CA

  @Test
  void anIssuerSecretThatDoesNotExistDegradesTheArrayAndCreatingItRepairsIt() {
    scenario.client().resource(arrayWithIssuer("byo-missing", "byo-missing-issuer")).create();
    scenario.client().resource(Arrays.node(scenario.ns(), "byo-missing-0", "byo-missing")).create();

    awaitIssuerInvalid("byo-missing", "does not exist");

    Secret bystanderCa = scenario.secret(Bystander.NAME + "-ca");
    scenario.client().resource(issuer("byo-missing-issuer", text(bystanderCa, "tls.crt"), text(bystanderCa, "tls.key")))
        .create();
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "byo-missing", 1);
  }

  @Test
  void anIssuerCertificateThatIsNotACaIsRefusedWithIssuerInvalidAndNothingIsIssued() {
    Secret leaf = scenario.secret(Bystander.NAME + "-0-peer-tls");
    badIssuer("byo-leaf", () -> issuer("byo-leaf-issuer", Pem.encode(Pem.certificates(text(leaf, "tls.crt"),
        "tls.crt").get(0)), text(leaf, "tls.key")), "not a CA certificate");
  }

  @Test
  void anIssuerKeyThatIsNotTheCertificatesKeyIsRefusedWithIssuerInvalidAndNothingIsIssued() {
    String otherKey = Pem.encodePrivateKey(KeyPairs.generate(KeySpec.of("ECDSA", 256)).getPrivate());
    badIssuer("byo-wrongkey", () -> issuer("byo-wrongkey-issuer",
        text(scenario.secret(Bystander.NAME + "-ca"), "tls.crt"), otherKey), "tls.key is not the key");
  }

  @Test
  void anIssuerSecretOfGarbageIsRefusedWithIssuerInvalidAndNothingIsIssued() {
    badIssuer("byo-garbage", () -> issuer("byo-garbage-issuer",
        "-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n", "not a key at all"), "tls.crt");
  }

  // ------------------------------------------------------------------ keystores

  @Test
  void aMissingKeystorePasswordSecretIsReportedWithAnEventAndCreatingItAddsTheKeystores() {
    ClusterArray array = Arrays.array(scenario.ns(), "nopw", "nopw-0");
    array.getSpec().keystores = new KeystoresSpec();
    array.getSpec().keystores.pkcs12 = new KeystoreSpec();
    array.getSpec().keystores.pkcs12.create = true;
    array.getSpec().keystores.pkcs12.passwordSecretRef = new SecretKeySelector("nopw-password", "password");
    scenario.client().resource(array).create();
    scenario.client().resource(Arrays.node(scenario.ns(), "nopw-0", "nopw")).create();

    Waits.converge().untilAsserted(() -> assertThat(nodeCondition("nopw-0", "CertificateIssued").getReason())
        .isEqualTo("KeystorePasswordMissing"));
    awaitEvent("Node", "nopw-0", "Warning", "KeystorePasswordMissing");
    assertThat(scenario.secret("nopw-0-peer-tls").getData()).containsKey("tls.crt").doesNotContainKey("keystore.p12");

    scenario.client().resource(new SecretBuilder().withNewMetadata().withName("nopw-password").endMetadata()
        .addToStringData("password", "long-enough-password").build()).inNamespace(scenario.ns()).create();
    Waits.upTo(java.time.Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(scenario.secret("nopw-0-peer-tls").getData()).containsKey("keystore.p12"));
  }

  // ------------------------------------------------------------------ edits that damage managed Secrets

  @Test
  void aPeerSecretWhoseKeyWasDeletedIsReissuedWithAWarningAndTheRepairedCondition() throws Exception {
    scenario.createArray("dmg-key", 2, "1s", "1s");
    // the API server keeps a kubernetes.io/tls Secret from losing the tls.key entry: it is emptied
    damage("dmg-key-0", "{\"data\":{\"tls.key\":\"\"}}", LeafSecrets.KEY_MISMATCH);
  }

  @Test
  void aPeerSecretWithAnotherMembersCertificateSwappedInIsRemovedByTheArraysVerifyAndIssuedAnew() throws Exception {
    scenario.createArray("dmg-swap", 2, "1s", "1s");
    String serialBefore = Arrays.get(scenario.client(), scenario.ns(), "dmg-swap-0").getStatus().peerCertificate.serialNumber;
    String other = scenario.secret("dmg-swap-1-peer-tls").getData().get("tls.crt");
    scenario.patch(Secret.class, "dmg-swap-0-peer-tls", "{\"data\":{\"tls.crt\":\"" + other + "\"}}");

    // the copy is the other member's own certificate: removed, not revoked, and reported by the array
    Event event = awaitEvent("ClusterArray", "dmg-swap", "Warning", "VerifyFailed");
    assertThat(event.getMessage()).contains("ForeignCertificate", "dmg-swap-0-peer-tls");
    Waits.converge().untilAsserted(() -> assertThat(Arrays.get(scenario.client(), scenario.ns(), "dmg-swap-0")
        .getStatus().peerCertificate.serialNumber).isNotEqualTo(serialBefore));
    assertRepaired(scenario.secret("dmg-swap-0-peer-tls"));
    assertThat(scenario.secret("dmg-swap-1-peer-tls").getData().get("tls.crt")).as("the other member's").isEqualTo(other);
  }

  @Test
  void aPeerSecretWhoseCertificateIsGarbageIsReissuedWithAWarning() throws Exception {
    scenario.createArray("dmg-garbage", 2, "1s", "1s");
    String garbage = Base64.getEncoder().encodeToString("garbage".getBytes(StandardCharsets.US_ASCII));
    damage("dmg-garbage-0", "{\"data\":{\"tls.crt\":\"" + garbage + "\"}}", LeafSecrets.CERTIFICATE_UNREADABLE);
  }

  @Test
  void theRepairedConditionIsComputedFromTheSecretSoAReconcileOnAnOutOfDateStatusKeepsIt() throws Exception {
    scenario.createArray("dmg-stale", 2, "1s", "1s");
    Condition beforeDamage = nodeCondition("dmg-stale-0", "CertificateIssued");
    String garbage = Base64.getEncoder().encodeToString("garbage".getBytes(StandardCharsets.US_ASCII));
    damage("dmg-stale-0", "{\"data\":{\"tls.crt\":\"" + garbage + "\"}}", LeafSecrets.CERTIFICATE_UNREADABLE);
    Condition repaired = nodeCondition("dmg-stale-0", "CertificateIssued");

    // JOSDK may hand a reconcile the Node as it was before its last status write: here the
    // status is put back to that (the condition of the certificate before the damage), and a
    // change to the Secret's metadata wakes the Node's reconcile.
    String staleConditions = scenario.client().getKubernetesSerialization().asJson(
        Arrays.get(scenario.client(), scenario.ns(), "dmg-stale-0").getStatus().conditions.stream()
            .map(c -> c.getType().equals("CertificateIssued") ? beforeDamage : c).toList());
    var stale = scenario.client().resources(io.arraypki.operator.api.ArrayNode.class).inNamespace(scenario.ns())
        .withName("dmg-stale-0").subresource("status").patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
            io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            "{\"status\":{\"conditions\":" + staleConditions + "}}");
    assertThat(Conditions.find(stale.getStatus().conditions, "CertificateIssued").orElseThrow().getReason())
        .isEqualTo("Issued");
    scenario.patch(Secret.class, "dmg-stale-0-peer-tls", "{\"metadata\":{\"annotations\":{\"example.com/touched\":\"1\"}}}");

    Waits.converge().untilAsserted(() -> {
      Condition again = nodeCondition("dmg-stale-0", "CertificateIssued");
      assertThat(again.getReason()).isEqualTo("Repaired");
      assertThat(again.getMessage()).isEqualTo(repaired.getMessage());
    });
    assertThat(scenario.secret("dmg-stale-0-peer-tls").getMetadata().getAnnotations())
        .containsEntry("arraypki.io/repaired-damage", LeafSecrets.CERTIFICATE_UNREADABLE);
  }

  // ------------------------------------------------------------------ helpers

  /** Damages a node's peer Secret with a merge patch and checks the repair. */
  private void damage(String node, String mergePatch, String expectedDamage) throws Exception {
    String secretName = node + "-peer-tls";
    String serialBefore = Arrays.get(scenario.client(), scenario.ns(), node).getStatus().peerCertificate.serialNumber;
    scenario.patch(Secret.class, secretName, mergePatch);

    Waits.converge().untilAsserted(() -> {
      Condition issued = nodeCondition(node, "CertificateIssued");
      assertThat(issued.getStatus()).isEqualTo("True");
      assertThat(issued.getReason()).isEqualTo("Repaired");
      assertThat(issued.getMessage()).contains(expectedDamage);
    });
    Event event = awaitEvent("Node", node, "Warning", "SecretRepaired");
    assertThat(event.getMessage()).contains(secretName, expectedDamage).doesNotContain("PRIVATE KEY");

    assertThat(Arrays.get(scenario.client(), scenario.ns(), node).getStatus().peerCertificate.serialNumber)
        .isNotEqualTo(serialBefore);
    assertRepaired(scenario.secret(secretName));
  }

  /** A whole Secret again: tls.key is the key of tls.crt, which openssl verifies against ca.crt. */
  private void assertRepaired(Secret repaired) throws Exception {
    X509Certificate certificate = LeafSecrets.leaf(repaired).orElseThrow();
    assertThat(LeafSecrets.holdsKeyOf(repaired, certificate)).as("tls.key is the key of tls.crt").isTrue();
    Path ca = PemFiles.write(dir, "ca.crt", repaired, "ca.crt");
    Path crt = PemFiles.write(dir, "tls.crt", repaired, "tls.crt");
    assertThat(Commands.openssl("verify", "-CAfile", ca.toString(), crt.toString()).output()).contains(": OK");
  }

  private void badIssuer(String array, Supplier<Secret> issuer, String problem) {
    scenario.client().resource(issuer.get()).create();
    scenario.client().resource(arrayWithIssuer(array, array + "-issuer")).create();
    scenario.client().resource(Arrays.node(scenario.ns(), array + "-0", array)).create();
    awaitIssuerInvalid(array, problem);
    assertThat(scenario.secret(array + "-ca")).isNull();
    assertThat(scenario.secret(array + "-0-peer-tls")).isNull();
  }

  private void awaitIssuerInvalid(String array, String problem) {
    Condition degraded = awaitArrayCondition(array, "Degraded", "True", "IssuerInvalid");
    assertThat(degraded.getMessage()).contains(problem).doesNotContain("PRIVATE KEY");
    assertThat(awaitEvent("ClusterArray", array, "Warning", "IssuerInvalid").getMessage()).contains(problem);
  }

  private Condition awaitArrayCondition(String array, String type, String status, String reason) {
    return Waits.converge().until(() -> Conditions.find(scenario.status(array).conditions, type)
        .filter(c -> status.equals(c.getStatus()) && reason.equals(c.getReason())).orElse(null), c -> c != null);
  }

  private Condition nodeCondition(String node, String type) {
    return Conditions.find(Arrays.get(scenario.client(), scenario.ns(), node).getStatus().conditions, type)
        .orElseThrow();
  }

  private Event awaitEvent(String kind, String name, String type, String reason) {
    return Waits.converge().until(() -> scenario.client().v1().events().inNamespace(scenario.ns()).list().getItems()
        .stream().filter(e -> kind.equals(e.getInvolvedObject().getKind()) && name.equals(e.getInvolvedObject().getName())
            && type.equals(e.getType()) && reason.equals(e.getReason()))
        .findFirst().orElse(null), e -> e != null);
  }

  private ClusterArray arrayWithIssuer(String name, String issuerSecret) {
    return Arrays.arrayWithIssuer(scenario.ns(), name, issuerSecret);
  }

  /** An issuer Secret whose ca.crt is the bystander's (self-signed) CA. */
  private Secret issuer(String name, String crt, String key) {
    String root = text(scenario.secret(Bystander.NAME + "-ca"), "tls.crt");
    return new SecretBuilder().withNewMetadata().withName(name).withNamespace(scenario.ns()).endMetadata()
        .withStringData(Map.of("tls.crt", crt, "tls.key", key, "ca.crt", root)).build();
  }

  private static String text(Secret secret, String key) {
    return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }
}
