package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.ops.CertificateGauges;
import io.arraypki.operator.support.OperatorMetricsScrape;
import io.arraypki.operator.support.Waits;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.KeyAlgorithm;
import io.arraypki.operator.api.PeerCertificatesSpec;
import io.arraypki.operator.api.PrivateKeySpec;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.LocalControlPlane;
import io.arraypki.operator.support.MemberTls;
import io.arraypki.operator.support.OpensslTls;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.PemFiles;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The first vertical slice: an array's CA and verifiable peer certificates for its members. */
class PeerCertificatesTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();
  @TempDir Path dir;

  static final String YAML = """
      apiVersion: arraypki.io/v1alpha1
      kind: ClusterArray
      metadata: {name: sgd}
      spec:
        primary: node-a
        ca:
          subject: {organizations: [Example], organizationalUnits: [Array]}
      ---
      apiVersion: arraypki.io/v1alpha1
      kind: Node
      metadata: {name: node-a}
      spec: {array: sgd, peerDNSName: node-a.sgd.example.com, dnsNames: [node-a.internal], ipAddresses: [10.0.0.11], masterCandidate: true}
      ---
      apiVersion: arraypki.io/v1alpha1
      kind: Node
      metadata: {name: node-b}
      spec: {array: sgd, peerDNSName: node-b.sgd.example.com, dnsNames: [node-b.internal], ipAddresses: [10.0.0.12]}
      ---
      apiVersion: arraypki.io/v1alpha1
      kind: Node
      metadata: {name: node-c}
      spec: {array: sgd, peerDNSName: node-c.sgd.example.com, ipAddresses: ["fd00::13"]}
      """;

  @BeforeAll
  static void applyTheArrayWithKubectl() {
    LocalControlPlane.kubectl(YAML, "apply", "-n", operator.getNamespace(), "-f", "-").orFail("kubectl apply");
    Arrays.awaitArrayReady(operator.getKubernetesClient(), operator.getNamespace(), "sgd", 3);
  }

  @Test
  void everyPeerCertificateVerifiesWithOpensslAgainstItsCaCrtAndNamesItsNode() {
    KubernetesClient client = operator.getKubernetesClient();
    String ns = operator.getNamespace();
    for (String node : List.of("node-a", "node-b", "node-c")) {
      Secret secret = Arrays.secret(client, ns, node + "-peer-tls");
      assertThat(secret.getType()).isEqualTo("kubernetes.io/tls");
      assertThat(secret.getData()).containsKeys("tls.crt", "tls.key", "ca.crt");
      Path ca = PemFiles.write(dir, node + "-ca.crt", secret, "ca.crt");
      Path leaf = PemFiles.write(dir, node + ".crt", secret, "tls.crt");
      assertThat(Commands.openssl("verify", "-CAfile", ca.toString(), leaf.toString()).orFail("verify").output())
          .contains(": OK");
      String text = Commands.openssl("x509", "-in", leaf.toString(), "-noout", "-text").output();
      assertThat(text)
          .contains("Subject: CN = " + node + ".sgd.example.com")
          .contains("DNS:" + node + ".sgd.example.com")
          .contains("TLS Web Server Authentication, TLS Web Client Authentication")
          .contains("CA:FALSE");
      assertThat(Commands.openssl("x509", "-in", leaf.toString(), "-noout", "-checkhost", node + ".sgd.example.com")
          .output()).contains("does match");
    }
    Path nodeB = PemFiles.write(dir, "b.crt", Arrays.secret(client, ns, "node-b-peer-tls"), "tls.crt");
    assertThat(Commands.openssl("x509", "-in", nodeB.toString(), "-noout", "-ext", "subjectAltName").output())
        .contains("DNS:node-b.sgd.example.com, DNS:node-b.internal, IP Address:10.0.0.12");
  }

  @Test
  void theCaSecretHoldsAGenerationNamedSelfSignedCaAndStatusReportsItsFingerprint() {
    KubernetesClient client = operator.getKubernetesClient();
    String ns = operator.getNamespace();
    Secret caSecret = Arrays.secret(client, ns, "sgd-ca");
    Path ca = PemFiles.write(dir, "ca.crt", caSecret, "tls.crt");
    String text = Commands.openssl("x509", "-in", ca.toString(), "-noout", "-text").output();
    assertThat(text).contains("CA:TRUE, pathlen:0").contains("Certificate Sign, CRL Sign")
        .contains("Subject: O = Example, OU = Array, CN = sgd CA g1");
    X509Certificate caCert = Pem.certificate(SecretData.text(caSecret, "tls.crt").orElseThrow(), "ca");
    ClusterArray array = Arrays.getArray(client, ns, "sgd");
    assertThat(array.getStatus().ca.fingerprint).isEqualTo(Fingerprints.fingerprint(caCert));
    assertThat(array.getStatus().ca.generation).isEqualTo(1L);
    assertThat(array.getStatus().primary).isEqualTo("node-a");
    assertThat(array.getStatus().members).isEqualTo(3);
    for (String node : List.of("node-a", "node-b", "node-c")) {
      ArrayNode member = Arrays.get(client, ns, node);
      Secret peer = Arrays.secret(client, ns, node + "-peer-tls");
      X509Certificate leaf = Pem.certificate(SecretData.text(peer, "tls.crt").orElseThrow(), "leaf");
      assertThat(member.getStatus().caFingerprint).isEqualTo(array.getStatus().ca.fingerprint);
      assertThat(member.getStatus().peerCertificate.fingerprint).isEqualTo(Fingerprints.fingerprint(leaf));
      assertThat(member.getStatus().peerCertificate.secretName).isEqualTo(node + "-peer-tls");
      assertThat(member.getStatus().peerCertificate.renewalTime).isNotNull();
    }
    assertThat(Arrays.get(client, ns, "node-a").getStatus().role.name()).isEqualTo("Primary");
  }

  @Test
  void scrapedExpirationAndRenewalGaugesShowTheTimesOfStatusAndTheCaAndADeletedArrayAndNodeHaveNoSeriesLeft() {
    Assumptions.assumeTrue(OperatorUnderTest.deployed(), "the gauges are the deployed operator's /metrics");
    KubernetesClient client = operator.getKubernetesClient();
    String ns = operator.getNamespace();
    X509Certificate caCert = Pem.certificate(
        SecretData.text(Arrays.secret(client, ns, "sgd-ca"), "tls.crt").orElseThrow(), "ca");
    ArrayNode a = Arrays.get(client, ns, "node-a");
    Map<String, String> nodeA = Map.of("namespace", ns, "array", "sgd", "node", "node-a", "kind", "peer");
    Waits.converge().untilAsserted(() -> {
      var samples = OperatorMetricsScrape.scrape();
      assertThat(OperatorMetricsScrape.find(samples, CertificateGauges.EXPIRATION, nodeA))
          .singleElement().extracting(OperatorMetricsScrape.Sample::value)
          .isEqualTo((double) Instant.parse(a.getStatus().peerCertificate.notAfter).getEpochSecond());
      assertThat(OperatorMetricsScrape.find(samples, CertificateGauges.RENEWAL, nodeA))
          .singleElement().extracting(OperatorMetricsScrape.Sample::value)
          .isEqualTo((double) Instant.parse(a.getStatus().peerCertificate.renewalTime).getEpochSecond());
      assertThat(OperatorMetricsScrape.find(samples, CertificateGauges.EXPIRATION,
          Map.of("namespace", ns, "array", "sgd", "kind", "ca")))
          .singleElement().extracting(OperatorMetricsScrape.Sample::value)
          .isEqualTo((double) caCert.getNotAfter().toInstant().getEpochSecond());
    });

    // an array of its own, so that the one the other tests use keeps its three members
    LocalControlPlane.kubectl("""
        apiVersion: arraypki.io/v1alpha1
        kind: ClusterArray
        metadata: {name: gone}
        spec: {primary: gone-0}
        ---
        apiVersion: arraypki.io/v1alpha1
        kind: Node
        metadata: {name: gone-0}
        spec: {array: gone, peerDNSName: gone-0.example.com}
        """, "apply", "-n", ns, "-f", "-").orFail("kubectl apply");
    Map<String, String> ofGone = Map.of("namespace", ns, "array", "gone");
    Waits.converge().untilAsserted(() -> assertThat(
        OperatorMetricsScrape.find(OperatorMetricsScrape.scrape(), CertificateGauges.EXPIRATION, ofGone))
        .extracting(sample -> sample.labels().get("kind")).as("the primary, a candidate, holds a client certificate too")
        .containsExactlyInAnyOrder("ca", "peer", "client"));
    LocalControlPlane.kubectl(null, "delete", "-n", ns, "node.arraypki.io/gone-0", "clusterarray.arraypki.io/gone",
        "--wait=true").orFail("kubectl delete");
    Waits.converge().untilAsserted(() -> assertThat(
        OperatorMetricsScrape.find(OperatorMetricsScrape.scrape(), CertificateGauges.EXPIRATION, ofGone))
        .as("no series for an array and a node that are gone").isEmpty());
  }

  @Test
  void twoMembersOfOneArrayCompleteAMutualTlsHandshakeWithHostnameVerification() throws Exception {
    KubernetesClient client = operator.getKubernetesClient();
    String ns = operator.getNamespace();
    Secret a = Arrays.secret(client, ns, "node-a-peer-tls");
    Secret b = Arrays.secret(client, ns, "node-b-peer-tls");
    assertThat(MemberTls.handshake(a, b, "node-a.sgd.example.com")).isNull();
    assertThat(MemberTls.handshake(b, a, "node-b.internal")).isNull();
    assertThat(MemberTls.handshake(a, b, "node-c.sgd.example.com")).as("wrong host name").contains("No subject alternative DNS name");
  }

  @Test
  void membersOfTwoDifferentArraysCannotHandshake() throws Exception {
    KubernetesClient client = operator.getKubernetesClient();
    String ns = operator.getNamespace();
    client.resource(Arrays.array(ns, "other", "x-1")).create();
    client.resource(Arrays.node(ns, "x-1", "other")).create();
    Arrays.awaitArrayReady(client, ns, "other", 1);
    Secret foreign = Arrays.secret(client, ns, "x-1-peer-tls");
    Secret member = Arrays.secret(client, ns, "node-a-peer-tls");
    // each client refuses the other array's server certificate (not a timeout, not any error)
    assertThat(MemberTls.handshake(member, foreign, "node-a.sgd.example.com")).as("foreign client, member server")
        .startsWith("client: javax.net.ssl.SSLHandshakeException: PKIX path building failed")
        .contains("unable to find valid certification path");
    assertThat(MemberTls.handshake(foreign, member, "x-1.other.example.com")).as("member client, foreign server")
        .startsWith("client: javax.net.ssl.SSLHandshakeException: PKIX path building failed")
        .contains("unable to find valid certification path");
    // a member's server refuses a foreign client, even when that client trusts the member
    Secret trustingForeign = new io.fabric8.kubernetes.api.model.SecretBuilder(foreign).build();
    trustingForeign.getData().put("ca.crt", java.util.Base64.getEncoder().encodeToString((SecretData.text(foreign,
        "ca.crt").orElseThrow() + SecretData.text(member, "ca.crt").orElseThrow()).getBytes(
            java.nio.charset.StandardCharsets.US_ASCII)));
    assertThat(MemberTls.handshake(member, trustingForeign, "node-a.sgd.example.com"))
        .as("foreign client certificate, member server")
        .containsPattern("client: javax.net.ssl.SSLHandshakeException: Received fatal alert: (certificate_unknown|bad_certificate)")
        // the JDK client offers no certificate the server's CA list names, which the server refuses
        .containsPattern("server: javax.net.ssl.SSLHandshakeException: "
            + "(PKIX path building failed|Empty client certificate chain)");
    // and OpenSSL on both ends refuses for the certificate as well
    assertThat(OpensslTls.handshake(dir.resolve("foreign"), member, foreign, "node-a.sgd.example.com"))
        .as("openssl s_client of the foreign member").isNotNull()
        .containsPattern("verify error:num=(20|19|21):|unable to get local issuer certificate");
  }

  @Test
  void kubectlGetShowsThePrinterColumnsInOrder() {
    String out = LocalControlPlane.kubectl(null, "get", "clusterarrays,anodes", "-n", operator.getNamespace())
        .orFail("kubectl get").output();
    assertThat(out).containsPattern("NAME\\s+PRIMARY\\s+MEMBERS\\s+READY\\s+CA\\s+CA EXPIRES\\s+PHASE\\s+NEXT WINDOW\\s+AGE");
    assertThat(out).containsPattern("clusterarray.arraypki.io/sgd\\s+node-a\\s+3\\s+3\\s+[0-9A-F:]{11}\\s+\\S+\\s+Idle");
    assertThat(out).containsPattern("NAME\\s+ARRAY\\s+ROLE\\s+READY\\s+CA\\s+TRUST\\s+LOADED CAS\\s+EXPIRES\\s+RENEWS\\s+AGE");
    assertThat(out).containsPattern("node.arraypki.io/node-a\\s+sgd\\s+Primary\\s+True");
    String category = LocalControlPlane.kubectl(null, "get", "arraypki", "-n", operator.getNamespace()).output();
    assertThat(category).contains("clusterarray.arraypki.io/sgd").contains("node.arraypki.io/node-c");
  }

  @Test
  void everyKeyAlgorithmOfTheDesignIssuesCertificatesThatHandshake() throws Exception {
    KubernetesClient client = operator.getKubernetesClient();
    String ns = operator.getNamespace();
    record Algo(String name, KeyAlgorithm algorithm, Integer size) {}
    List<Algo> algorithms = List.of(new Algo("rsa2048", KeyAlgorithm.RSA, 2048), new Algo("rsa3072", KeyAlgorithm.RSA, 3072),
        new Algo("rsa4096", KeyAlgorithm.RSA, 4096), new Algo("p256", KeyAlgorithm.ECDSA, 256),
        new Algo("p384", KeyAlgorithm.ECDSA, 384), new Algo("ed25519", KeyAlgorithm.Ed25519, null));
    for (Algo a : algorithms) {
      ClusterArray array = Arrays.array(ns, a.name(), a.name() + "-1");
      array.getSpec().peerCertificates = new PeerCertificatesSpec();
      array.getSpec().peerCertificates.privateKey = new PrivateKeySpec(a.algorithm(), a.size());
      client.resource(array).create();
      client.resource(Arrays.node(ns, a.name() + "-1", a.name())).create();
      client.resource(Arrays.node(ns, a.name() + "-2", a.name())).create();
    }
    for (Algo a : algorithms) {
      Arrays.awaitArrayReady(client, ns, a.name(), 2);
      Secret one = Arrays.secret(client, ns, a.name() + "-1-peer-tls");
      Secret two = Arrays.secret(client, ns, a.name() + "-2-peer-tls");
      Path leaf = PemFiles.write(dir, a.name() + ".crt", one, "tls.crt");
      String text = Commands.openssl("x509", "-in", leaf.toString(), "-noout", "-text").output();
      switch (a.algorithm()) {
        case RSA -> assertThat(text).contains("Public-Key: (" + a.size() + " bit)").contains("Key Encipherment");
        case ECDSA -> assertThat(text).contains(a.size() == 256 ? "NIST CURVE: P-256" : "NIST CURVE: P-384");
        case Ed25519 -> assertThat(text).contains("ED25519");
      }
      String host = a.name() + "-1." + a.name() + ".example.com";
      assertThat(OpensslTls.handshake(dir.resolve(a.name()), one, two, host)).as(a.name()).isNull();
      if (a.algorithm() != KeyAlgorithm.Ed25519) { // SunJSSE (JDK 17) offers no Ed25519 certificates
        assertThat(MemberTls.handshake(one, two, host)).as(a.name()).isNull();
      }
    }
  }
}
