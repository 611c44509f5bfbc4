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
            "csrSigning: Enabled needs keyProvider: External"),
        Arguments.of("CA duration below a minute", array("  primary: a\n  ca: {duration: 30s}"),
            "must be a duration between 1m and 876000h"),
        Arguments.of("CA duration past 100 years", array("  primary: a\n  ca: {duration: 900000h}"),
            "must be a duration between 1m and 876000h"),
        Arguments.of("CA renewBefore below 10s", array("  primary: a\n  ca: {renewBefore: 5s}"),
            "must be a duration of at least 10s"),
        Arguments.of("CA renewBefore not below duration", array("  primary: a\n  ca: {duration: 1h, renewBefore: 1h}"),
            "renewBefore must be shorter than duration"),
        Arguments.of("negative duration", array("  primary: a\n  peerCertificates: {duration: -5m}"),
            "spec.peerCertificates.duration"),
        Arguments.of("duration in days", array("  primary: a\n  peerCertificates: {duration: 90d}"),
            "spec.peerCertificates.duration"),
        Arguments.of("client renewBefore not below duration",
            array("  primary: a\n  clientCertificates: {duration: 2h, renewBefore: 3h}"),
            "renewBefore must be shorter than duration"),
        Arguments.of("client duration unparseable", array("  primary: a\n  clientCertificates: {duration: soon}"),
            "spec.clientCertificates.duration"),
        Arguments.of("RSA 8192", array("  primary: a\n  peerCertificates: {privateKey: {algorithm: RSA, size: 8192}}"),
            "RSA keys must have size 2048, 3072 or 4096"),
        Arguments.of("Ed25519 with a size", array("  primary: a\n  ca: {privateKey: {algorithm: Ed25519, size: 256}}"),
            "Ed25519 keys have no size"),
        Arguments.of("lower-case algorithm", array("  primary: a\n  ca: {privateKey: {algorithm: ecdsa}}"),
            "spec.ca.privateKey.algorithm: Unsupported value"),
        Arguments.of("pool size above 1000", array("  primary: a\n  candidates: {poolSize: 1001}"),
            "spec.candidates.poolSize"),
        Arguments.of("pool size not a number", array("  primary: a\n  candidates: {poolSize: three}"),
            "spec.candidates.poolSize"),
        Arguments.of("repeated usage", array("  primary: a\n  peerCertificates: {usages: [server auth, server auth]}"),
            "usages must not repeat"),
        Arguments.of("no usage", array("  primary: a\n  peerCertificates: {usages: []}"),
            "spec.peerCertificates.usages"),
        Arguments.of("trust delay past a day", array("  primary: a\n  rotation: {trustPropagationDelay: 25h}"),
            "must be a duration of at most 24h"),
        Arguments.of("overlap past a year", array("  primary: a\n  rotation: {overlap: 9000h}"),
            "must be a duration of at most 8760h"),
        Arguments.of("service without commonName", array("  primary: a\n  serviceCertificate: {dnsNames: [a.example.com]}"),
            "spec.serviceCertificate.commonName: Required value"),
        Arguments.of("wildcard inside a label", array("  primary: a\n  serviceCertificate: {commonName: \"k*.example.com\"}"),
            "spec.serviceCertificate.commonName"),
        Arguments.of("double wildcard", array("  primary: a\n  serviceCertificate: {commonName: k.example.com, dnsNames: [\"*.*.example.com\"]}"),
            "spec.serviceCertificate.dnsNames[0]"),
        Arguments.of("issuer without secretName", array("  primary: a\n  ca: {issuerRef: {}}"),
            "spec.ca.issuerRef.secretName: Required value"),
        Arguments.of("issuer name not a name", array("  primary: a\n  ca: {issuerRef: {secretName: Corp_CA}}"),
            "spec.ca.issuerRef.secretName"),
        Arguments.of("password key with a slash",
            array("  primary: a\n  keystores: {jks: {create: true, passwordSecretRef: {name: p, key: a/b}}}"),
            "spec.keystores.jks.passwordSecretRef.key"),
        Arguments.of("reserved template label", array("  primary: a\n  secretTemplate: {labels: {arraypki.io/node: x}}"),
            "labels must not use the arraypki.io/ prefix"),
        Arguments.of("reserved template annotation", array("  primary: a\n  secretTemplate: {annotations: {arraypki.io/renew: x}}"),
            "annotations must not use the arraypki.io/ prefix"),
        Arguments.of("country of three letters", array("  primary: a\n  ca: {subject: {countries: [DEU]}}"),
            "spec.ca.subject.countries"),
        Arguments.of("array not a name", node("  array: Sgd\n  peerDNSName: a.example.com"), "spec.array"),
        Arguments.of("peer name with a trailing dot", node("  peerDNSName: a.example.com."), "spec.peerDNSName"),
        Arguments.of("peer name with an underscore", node("  peerDNSName: a_b.example.com"), "spec.peerDNSName"),
        Arguments.of("extra DNS name with a wildcard", node("  peerDNSName: a.example.com\n  dnsNames: [\"*.example.com\"]"),
            "spec.dnsNames[0]"),
        Arguments.of("IP with a zone", node("  peerDNSName: a.example.com\n  ipAddresses: [\"fe80::1%eth0\"]"),
            "every item must be an IPv4 or IPv6 address"),
        Arguments.of("IP with a prefix", node("  peerDNSName: a.example.com\n  ipAddresses: [10.0.0.0/24]"),
            "every item must be an IPv4 or IPv6 address"),
        Arguments.of("pin of the wrong hash length", node("  peerDNSName: a.example.com\n  trustedCAFingerprint: " + "ab".repeat(20)),
            "spec.trustedCAFingerprint"),
        Arguments.of("pin that is not hex", node("  peerDNSName: a.example.com\n  trustedCAFingerprint: " + "zz".repeat(32)),
            "spec.trustedCAFingerprint"),
        Arguments.of("unknown CSR signing value", node("  peerDNSName: a.example.com\n  csrSigning: Sometimes"),
            "spec.csrSigning: Unsupported value"),
        Arguments.of("service account not a name", node("  peerDNSName: a.example.com\n  serviceAccountName: Node_B"),
            "spec.serviceAccountName"),
        Arguments.of("offline not a boolean", node("  peerDNSName: a.example.com\n  offline: maybe"), "spec.offline"),
        Arguments.of("cron minute 75", array("  primary: a\n  renewal: {windows: [{cron: \"75 3 * * *\", windowDuration: 1h}]}"),
            "spec.renewal.windows[0].cron"),
        Arguments.of("cron hour 24", array("  primary: a\n  renewal: {windows: [{cron: \"0 24 * * *\", windowDuration: 1h}]}"),
            "spec.renewal.windows[0].cron"),
        Arguments.of("cron of four fields", array("  primary: a\n  renewal: {windows: [{cron: \"0 3 * *\", windowDuration: 1h}]}"),
            "spec.renewal.windows[0].cron"),
        Arguments.of("cron nickname", array("  primary: a\n  renewal: {windows: [{cron: \"@weekly\", windowDuration: 1h}]}"),
            "spec.renewal.windows[0].cron"),
        Arguments.of("cron with seconds", array("  primary: a\n  renewal: {windows: [{cron: \"0 0 3 * * *\", windowDuration: 1h}]}"),
            "spec.renewal.windows[0].cron"),
        Arguments.of("window without cron", array("  primary: a\n  renewal: {windows: [{windowDuration: 1h}]}"),
            "spec.renewal.windows[0].cron: Required value"),
        Arguments.of("window without duration", array("  primary: a\n  renewal: {windows: [{cron: \"0 3 * * 2\"}]}"),
            "spec.renewal.windows[0].windowDuration: Required value"),
        Arguments.of("window of 30s", array("  primary: a\n  renewal: {windows: [{cron: \"0 3 * * 2\", windowDuration: 30s}]}"),
            "must be a duration between 1m and 744h"),
        Arguments.of("window duration in days", array("  primary: a\n  renewal: {windows: [{cron: \"0 3 * * 2\", windowDuration: 2d}]}"),
            "spec.renewal.windows[0].windowDuration"),
        Arguments.of("time zone with a space", array("  primary: a\n  renewal: {windows: [{cron: \"0 3 * * 2\", timezone: \"Europe/New York\", windowDuration: 1h}]}"),
            "spec.renewal.windows[0].timezone"),
        Arguments.of("no renewals per minute", array("  primary: a\n  renewal: {maxPerMinute: 0}"),
            "spec.renewal.maxPerMinute"),
        Arguments.of("prepareBefore past the CA's life", array("  primary: a\n  ca: {duration: 24h, renewBefore: 12h, prepareBefore: 12h}"),
            "prepareBefore plus renewBefore must be shorter than duration"));
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
        Arguments.of("standalone node", node("  array: \"\"\n  peerDNSName: a.example.com")),
        Arguments.of("253-character peer name", node("  peerDNSName: " + String.join(".", "a".repeat(63), "b".repeat(63),
            "c".repeat(63), "d".repeat(61)))),
        Arguments.of("every key algorithm and size", array("  primary: a\n  ca: {privateKey: {algorithm: RSA, size: 3072}}\n"
            + "  peerCertificates: {privateKey: {algorithm: ECDSA, size: 384}}\n  clientCertificates: {privateKey: {algorithm: RSA, size: 2048}}")),
        Arguments.of("longest durations", array("  primary: a\n  ca: {duration: 876000h, renewBefore: 8760h}\n"
            + "  rotation: {trustPropagationDelay: 24h, overlap: 8760h}")),
        Arguments.of("zero delays", array("  primary: a\n  rotation: {trustPropagationDelay: 0s, overlap: \"0\"}")),
        Arguments.of("renewal windows with lists, ranges, steps, names and zones",
            array("  primary: a\n  ca: {duration: 87600h, prepareBefore: 8760h}\n  renewal: {maxPerMinute: 10, windows: ["
                + "{cron: \"0 3 * * TUE\", timezone: Europe/Berlin, windowDuration: 3h},"
                + " {cron: \"*/15 1-4 1,15 jan-jun mon-fri\", timezone: America/Argentina/Buenos_Aires, windowDuration: 45m},"
                + " {cron: \"30 2 29 2 *\", windowDuration: 1m}]}")),
        Arguments.of("mixed-case pin with colons", node("  peerDNSName: a.example.com\n  trustedCAFingerprint: sha256:"
            + "Ab:".repeat(31) + "aB")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void theApiServerAcceptsValidEdgeCases(String what, String yaml) {
    Commands.Result result = LocalControlPlane.kubectl(yaml, "apply", "--dry-run=server", "-n", NS, "-f", "-");
    assertThat(result.exitCode()).as(what + ":\n" + result.output()).isZero();
  }
}
