package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.LocalControlPlane;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.PemFiles;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The valid edge cases the API server accepts (SchemaValidationTest) also issue: applied with
 * kubectl, the array becomes Ready and every certificate verifies with openssl and carries the
 * edge-case names and keys.
 */
class ValidEdgeCasesIssueTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();

  private final Scenario scenario = new Scenario(operator);
  @TempDir Path dir;

  private static final String LONG_LABEL = "a".repeat(63);
  private static final String LONGEST_NAME = String.join(".", "a".repeat(63), "b".repeat(63), "c".repeat(63),
      "d".repeat(61));

  static String array(String name, String spec) {
    return "apiVersion: arraypki.io/v1alpha1\nkind: ClusterArray\nmetadata: {name: " + name + "}\nspec:\n  primary: "
        + name + "-0\n" + spec + "---\n";
  }

  static String node(String name, String array, String spec) {
    return "apiVersion: arraypki.io/v1alpha1\nkind: Node\nmetadata: {name: " + name + "}\nspec:\n  array: \""
        + array + "\"\n" + spec + "---\n";
  }

  static String member(String name, String array) {
    return node(name, array, "  peerDNSName: " + name + "." + array + ".example.com\n");
  }

  static Stream<Arguments> edgeCases() {
    return Stream.of(
        Arguments.of("minimal array", array("edge-min", "") + member("edge-min-0", "edge-min"),
            "edge-min", "edge-min-0", "DNS:edge-min-0.edge-min.example.com", "ASN1 OID: prime256v1", null, null),
        Arguments.of("Ed25519 CA and RSA-4096 members",
            array("edge-ed", "  ca: {privateKey: {algorithm: Ed25519}}\n  peerCertificates: {privateKey: {algorithm: RSA, size: 4096}}\n")
                + member("edge-ed-0", "edge-ed"),
            "edge-ed", "edge-ed-0", "Public-Key: (4096 bit)", "Signature Algorithm: ED25519", null, null),
        Arguments.of("shortest durations",
            array("edge-short", "  peerCertificates: {duration: 3m, renewBefore: 1m}\n") + member("edge-short-0", "edge-short"),
            "edge-short", "edge-short-0", "DNS:edge-short-0.edge-short.example.com", "Not After",
            Duration.ofMinutes(3), null),
        Arguments.of("63-character label, IPv6 and IPv4",
            array("edge-label", "") + node("edge-label-0", "edge-label", "  peerDNSName: " + LONG_LABEL
                + ".example.com\n  ipAddresses: [\"::1\", 10.0.0.1, \"2001:db8::1\"]\n"),
            "edge-label", "edge-label-0", "DNS:" + LONG_LABEL + ".example.com", "IP Address:2001:DB8:0:0:0:0:0:1", null, null),
        Arguments.of("253-character peer name",
            array("edge-long", "") + node("edge-long-0", "edge-long", "  peerDNSName: " + LONGEST_NAME + "\n"),
            "edge-long", "edge-long-0", "DNS:" + LONGEST_NAME, "X509v3 Subject Alternative Name", null, null),
        Arguments.of("RSA-3072 CA, P-384 members",
            array("edge-keys", "  ca: {privateKey: {algorithm: RSA, size: 3072}}\n"
                + "  peerCertificates: {privateKey: {algorithm: ECDSA, size: 384}}\n"
                + "  clientCertificates: {privateKey: {algorithm: RSA, size: 2048}}\n") + member("edge-keys-0", "edge-keys"),
            "edge-keys", "edge-keys-0", "ASN1 OID: secp384r1", "Signature Algorithm: sha256WithRSAEncryption", null, null),
        Arguments.of("longest durations",
            array("edge-longest", "  ca: {duration: 876000h, renewBefore: 8760h}\n"
                + "  rotation: {trustPropagationDelay: 24h, overlap: 8760h}\n") + member("edge-longest-0", "edge-longest"),
            "edge-longest", "edge-longest-0", "DNS:edge-longest-0.edge-longest.example.com", "Not After",
            null, Duration.ofHours(876000)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("edgeCases")
  void aValidEdgeCaseIssuesCertificatesThatVerifyWithOpensslAndLastAsLongAsAsked(String what, String yaml, String array,
      String node, String expected1, String expected2, Duration leafValidity, Duration caValidity) {
    apply(yaml);
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), array, 1);

    Secret peer = scenario.secret(node + "-peer-tls");
    Path ca = PemFiles.write(dir, "ca.crt", peer, "ca.crt");
    Path crt = PemFiles.write(dir, "tls.crt", peer, "tls.crt");
    assertThat(Commands.openssl("verify", "-CAfile", ca.toString(), crt.toString()).output()).as(what).contains(": OK");
    String text = Commands.openssl("x509", "-in", crt.toString(), "-noout", "-text").output()
        + Commands.openssl("x509", "-in", ca.toString(), "-noout", "-text").output();
    assertThat(text).as(what).contains(expected1, expected2);
    if (leafValidity != null) {
      assertThat(validity(crt)).as(what + ": notAfter - notBefore of the peer certificate").isEqualTo(leafValidity);
    }
    if (caValidity != null) {
      assertThat(validity(ca)).as(what + ": notAfter - notBefore of the CA").isEqualTo(caValidity);
    }
  }

  /** notAfter - notBefore of the first certificate in a PEM file, as openssl reads it. */
  private static Duration validity(Path pem) {
    String dates = Commands.openssl("x509", "-in", pem.toString(), "-noout", "-startdate", "-enddate", "-dateopt", "iso_8601")
        .orFail("openssl x509 -dates").output();
    java.util.Map<String, java.time.Instant> parsed = new java.util.HashMap<>();
    for (String line : dates.strip().split("\n")) {
      String[] kv = line.split("=", 2);
      parsed.put(kv[0], java.time.Instant.parse(kv[1].trim().replace(' ', 'T')));
    }
    return Duration.between(parsed.get("notBefore"), parsed.get("notAfter"));
  }

  @Test
  void theServiceCertificateCarriesTheWildcardAndTheIpv6Address() {
    apply(array("edge-svc2", "  serviceCertificate: {commonName: keys.example.com, dnsNames: [\"*.example.com\"], "
        + "ipAddresses: [\"2001:db8::1\"]}\n") + member("edge-svc2-0", "edge-svc2"));
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "edge-svc2", 1);
    Waits.converge().until(() -> scenario.secret("edge-svc2-service-tls") != null);
    Path crt = PemFiles.write(dir, "svc.crt", scenario.secret("edge-svc2-service-tls"), "tls.crt");
    assertThat(Commands.openssl("x509", "-in", crt.toString(), "-noout", "-ext", "subjectAltName").output())
        .contains("DNS:*.example.com", "IP Address:2001:DB8:0:0:0:0:0:1");
  }

  @Test
  void aStandaloneNodeGetsItsOwnCaAndACertificate() {
    apply(node("edge-alone", "", "  peerDNSName: alone.example.com\n"));
    Waits.converge().untilAsserted(() -> assertThat(scenario.secret("edge-alone-peer-tls")).isNotNull());
    Secret peer = scenario.secret("edge-alone-peer-tls");
    Path ca = PemFiles.write(dir, "alone-ca.crt", peer, "ca.crt");
    Path crt = PemFiles.write(dir, "alone.crt", peer, "tls.crt");
    assertThat(Commands.openssl("verify", "-CAfile", ca.toString(), crt.toString()).output()).contains(": OK");
  }

  @Test
  void pinsInEverySpellingTheSchemaAcceptsLetNodesJoin() {
    apply(array("edge-pin", "") + member("edge-pin-0", "edge-pin"));
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "edge-pin", 1);
    String fingerprint = scenario.status("edge-pin").ca.fingerprint; // SHA256:AB:CD:...
    // every spelling DESIGN.md allows, applied with kubectl: the schema accepts each, and each joins
    var pins = ArrayLifecycleTest.pinSpellings(fingerprint);
    StringBuilder yaml = new StringBuilder();
    java.util.Map<String, String> nodes = new java.util.LinkedHashMap<>();
    int i = 1;
    for (var pin : pins.entrySet()) {
      String name = "edge-pin-" + i++;
      nodes.put(name, pin.getKey() + " (" + pin.getValue() + ")");
      yaml.append(node(name, "edge-pin", "  peerDNSName: pin-" + name + ".example.com\n  trustedCAFingerprint: \""
          + pin.getValue() + "\"\n"));
    }
    apply(yaml.toString());
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "edge-pin", 1 + pins.size());
    nodes.forEach((name, what) -> assertThat(Arrays.get(scenario.client(), scenario.ns(), name).getStatus().caFingerprint)
        .as(name + " pinned " + what).isEqualTo(fingerprint));
  }

  @Test
  void zeroDelaysRotateTheWholeArrayToANewPrimary() {
    apply(array("edge-zero", "  rotation: {trustPropagationDelay: 0s, overlap: \"0\"}\n")
        + member("edge-zero-0", "edge-zero") + member("edge-zero-1", "edge-zero"));
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "edge-zero", 2);
    scenario.setPrimary("edge-zero", "edge-zero-1");
    Waits.upTo(Duration.ofSeconds(90)).untilAsserted(() -> {
      var status = scenario.status("edge-zero");
      assertThat(status.ca.generation).isEqualTo(2L);
      assertThat(status.rotation.phase).isEqualTo(RotationPhase.Idle);
      for (String node : List.of("edge-zero-0", "edge-zero-1")) {
        assertThat(scenario.secret(node + "-peer-tls").getMetadata().getAnnotations())
            .containsEntry("arraypki.io/signed-by-generation", "2");
      }
    });
  }

  private void apply(String yaml) {
    LocalControlPlane.kubectl(yaml, "apply", "-n", scenario.ns(), "-f", "-").orFail("kubectl apply");
  }
}
