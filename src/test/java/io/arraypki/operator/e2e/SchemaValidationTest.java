package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.LocalControlPlane;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The API server itself refuses bad input (schema and CEL rules of the generated CRDs), with a
 * message that names the field. Checked with kubectl --dry-run=server against the real server.
 */
class SchemaValidationTest {
  private static final String NS = "default";

  @BeforeAll
  static void controlPlaneIsUp() {
    LocalControlPlane.kubeconfig();
  }

  static String array(String spec) {
    return "apiVersion: arraypki.io/v1alpha1\nkind: ClusterArray\nmetadata: {name: bad}\nspec:\n" + spec;
  }

  static String node(String spec) {
    return "apiVersion: arraypki.io/v1alpha1\nkind: Node\nmetadata: {name: bad}\nspec:\n" + spec;
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("array without primary", array("  ca: {}"), "spec.primary: Required value"),
        Arguments.of("primary not a name", array("  primary: Node_A"), "spec.primary"),
        Arguments.of("unparseable CA duration", array("  primary: a\n  ca: {duration: 10 years}"), "spec.ca.duration"),
        Arguments.of("renewBefore not below duration",
            array("  primary: a\n  peerCertificates: {duration: 1h, renewBefore: 2h}"), "renewBefore must be shorter than duration"),
        Arguments.of("RSA below 2048", array("  primary: a\n  ca: {privateKey: {algorithm: RSA, size: 1024}}"),
            "RSA keys must have size 2048, 3072 or 4096"),
        Arguments.of("unknown key algorithm", array("  primary: a\n  ca: {privateKey: {algorithm: DSA}}"),
            "spec.ca.privateKey.algorithm: Unsupported value"),
        Arguments.of("ECDSA P-521", array("  primary: a\n  peerCertificates: {privateKey: {algorithm: ECDSA, size: 521}}"),
            "ECDSA keys must have size 256 (P-256) or 384 (P-384)"),
        Arguments.of("pool size zero", array("  primary: a\n  candidates: {poolSize: 0}"), "spec.candidates.poolSize"),
        Arguments.of("unknown usage", array("  primary: a\n  peerCertificates: {usages: [code signing]}"),
            "spec.peerCertificates.usages[0]: Unsupported value"),
        Arguments.of("wildcard not left-most", array("  primary: a\n  serviceCertificate: {commonName: keys.example.com, dnsNames: [\"keys.*.example.com\"]}"),
            "spec.serviceCertificate.dnsNames[0]"),
        Arguments.of("service IP not an IP", array("  primary: a\n  serviceCertificate: {commonName: k.example.com, ipAddresses: [10.0.0.300]}"),
            "every item must be an IPv4 or IPv6 address"),
        Arguments.of("keystore without password", array("  primary: a\n  keystores: {pkcs12: {create: true}}"),
            "passwordSecretRef is required when create is true"),
        Arguments.of("node without peerDNSName", node("  array: sgd"), "spec.peerDNSName: Required value"),
        Arguments.of("wildcard peer name", node("  peerDNSName: \"*.sgd.example.com\""), "spec.peerDNSName"),
        Arguments.of("upper-case DNS name", node("  peerDNSName: Node-A.example.com"), "spec.peerDNSName"),
        Arguments.of("63+ character label", node("  peerDNSName: " + "a".repeat(64) + ".example.com"), "spec.peerDNSName"),
        Arguments.of("bad node IP", node("  peerDNSName: a.example.com\n  ipAddresses: [\"fe80::1::2\"]"),
            "every item must be an IPv4 or IPv6 address"),
        Arguments.of("short pin", node("  peerDNSName: a.example.com\n  trustedCAFingerprint: \"SHA256:AB:CD\""),
            "spec.trustedCAFingerprint"),
        Arguments.of("unknown key provider", node("  peerDNSName: a.example.com\n  keyProvider: TPM"),
            "spec.keyProvider: Unsupported value"),
        Arguments.of("CSR signing for an operator key", node("  peerDNSName: a.example.com\n  csrSigning: Enabled"),
            "csrSigning: Enabled needs keyProvider: External"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void theApiServerRefusesBadInputNamingTheField(String what, String yaml, String message) {
    Commands.Result result = LocalControlPlane.kubectl(yaml, "apply", "--dry-run=server", "-n", NS, "-f", "-");
    assertThat(result.exitCode()).as(what + ":\n" + result.output()).isNotZero();
    assertThat(result.output()).as(what).contains(message);
  }

  static Stream<Arguments> accepted() {
    return Stream.of(
        Arguments.of("minimal array", array("  primary: node-a")),
        Arguments.of("every CA key",
            array("  primary: a\n  ca: {privateKey: {algorithm: Ed25519}}\n  peerCertificates: {privateKey: {algorithm: RSA, size: 4096}}")),
        Arguments.of("short durations", array("  primary: a\n  peerCertificates: {duration: 3m, renewBefore: 1m}")),
        Arguments.of("wildcard as whole left-most label",
            array("  primary: a\n  serviceCertificate: {commonName: keys.example.com, dnsNames: [\"*.example.com\"], ipAddresses: [\"2001:db8::1\"]}")),
        Arguments.of("63-character label and IPv6",
            node("  peerDNSName: " + "a".repeat(63) + ".example.com\n  ipAddresses: [\"::1\", 10.0.0.1]")),
        Arguments.of("pin without prefix or colons", node("  peerDNSName: a.example.com\n  trustedCAFingerprint: " + "ab".repeat(32))),
        Arguments.of("standalone node", node("  array: \"\"\n  peerDNSName: a.example.com")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void theApiServerAcceptsValidEdgeCases(String what, String yaml) {
    Commands.Result result = LocalControlPlane.kubectl(yaml, "apply", "--dry-run=server", "-n", NS, "-f", "-");
    assertThat(result.exitCode()).as(what + ":\n" + result.output()).isZero();
  }
}
