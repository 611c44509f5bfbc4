package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.Crl;
import io.arraypki.operator.support.LocalControlPlane;
import io.arraypki.operator.support.OperatorUnderTest;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * kubectl arraypki, as a user runs it: the launcher the build wrote (target/kubectl-arraypki),
 * found by kubectl on PATH, against the operator the chart installed, its output checked against
 * the objects and against openssl.
 */
class KubectlPluginTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();
  @TempDir Path dir;

  private static final ObjectMapper JSON = new ObjectMapper();

  static final String YAML = """
      apiVersion: arraypki.io/v1alpha1
      kind: ClusterArray
      metadata: {name: sgd}
      spec: {primary: node-a, rotation: {trustPropagationDelay: 5s}}
      ---
      apiVersion: arraypki.io/v1alpha1
      kind: Node
      metadata: {name: node-a}
      spec: {array: sgd, peerDNSName: node-a.sgd.example.com, masterCandidate: true}
      ---
      apiVersion: arraypki.io/v1alpha1
      kind: Node
      metadata: {name: node-b}
      spec: {array: sgd, peerDNSName: node-b.sgd.example.com, ipAddresses: [10.0.0.12]}
      ---
      apiVersion: arraypki.io/v1alpha1
      kind: Node
      metadata: {name: node-c}
      spec: {array: sgd, peerDNSName: node-c.sgd.example.com}
      """;

  @BeforeAll
  static void applyAnArrayOfThree() {
    LocalControlPlane.kubectl(YAML, "apply", "-n", operator.getNamespace(), "-f", "-").orFail("kubectl apply");
    Arrays.awaitArrayReady(operator.getKubernetesClient(), operator.getNamespace(), "sgd", 3);
  }

  /** kubectl arraypki ARGS, through kubectl's plugin lookup (the launcher on PATH). */
  private static Commands.Result plugin(String... args) {
    Path launcher = Commands.projectDir().resolve("target/kubectl-arraypki");
    assertThat(launcher).as("the build writes the launcher (mvn package)").isExecutable();
    Map<String, String> env = new HashMap<>();
    env.put("KUBECONFIG", LocalControlPlane.kubeconfig().toString());
    env.put("PATH", launcher.getParent() + ":" + System.getenv("PATH"));
    List<String> command = new ArrayList<>(List.of(LocalControlPlane.kubectlBinary().toString(), "arraypki"));
    command.addAll(List.of(args));
    return Commands.run(command, null, env, 180);
  }

  private static String ns() {
    return operator.getNamespace();
  }

  private static JsonNode json(Commands.Result result) throws Exception {
    String output = result.output();
    return JSON.readTree(output.substring(output.indexOf('{')));
  }

  @Test
  void statusShowsTheArrayOnOneScreenAndItsJsonFormCarriesWhatTheObjectsSay() throws Exception {
    var text = plugin("status", "sgd", "-n", ns()).orFail("kubectl arraypki status");
    assertThat(text.output()).startsWith("ClusterArray " + ns() + "/sgd: Ready=True, 3/3 members ready, primary node-a\n")
        .contains("\nRotation    none in progress\n").contains("\nBehind      nobody\n")
        .contains("\nVerify      no problems\n")
        .containsPattern("\nMEMBER +ROLE +READY +CA GEN +TRUST +PEER RENEWS +CLIENT RENEWS\n");
    for (String name : List.of("node-a", "node-b", "node-c")) {
      ArrayNode node = Arrays.get(operator.getKubernetesClient(), ns(), name);
      assertThat(text.output()).containsPattern("\n" + name + " +" + node.getStatus().role + " +True +1 +- +"
          + node.getStatus().peerCertificate.renewalTime + " ");
    }

    JsonNode json = json(plugin("status", "sgd", "-n", ns(), "-o", "json").orFail("status -o json"));
    ClusterArray array = Arrays.getArray(operator.getKubernetesClient(), ns(), "sgd");
    assertThat(json.get("ca").get("fingerprint").asText()).isEqualTo(array.getStatus().ca.fingerprint);
    assertThat(json.get("memberList")).hasSize(3);
    for (JsonNode member : json.get("memberList")) {
      ArrayNode node = Arrays.get(operator.getKubernetesClient(), ns(), member.get("name").asText());
      assertThat(member.get("peerRenews").asText()).isEqualTo(node.getStatus().peerCertificate.renewalTime);
    }
  }

  @Test
  void inspectDecodesWhatANodeHoldsAsOpensslSeesItAndNeverShowsTheKey() throws Exception {
    var text = plugin("inspect", "node-a", "-n", ns()).orFail("kubectl arraypki inspect");
    assertThat(text.output()).contains("Secret node-a-peer-tls (peer, signed by CA generation 1)")
        .contains("Secret node-a-client-tls (client").contains("tls.key    matches the certificate")
        .doesNotContain("PRIVATE KEY");

    JsonNode json = json(plugin("inspect", "node-a", "-n", ns(), "-o", "json").orFail("inspect -o json"));
    JsonNode peer = json.get("secrets").get(0);
    assertThat(peer.get("name").asText()).isEqualTo("node-a-peer-tls");
    JsonNode leaf = peer.get("chain").get(0);
    String leafPem = Crl.leafPem(Arrays.secret(operator.getKubernetesClient(), ns(), "node-a-peer-tls"));
    String openssl = Commands.openssl("x509", "-noout", "-fingerprint", "-sha256", "-in",
        java.nio.file.Files.writeString(dir.resolve("peer.crt"), leafPem).toString()).orFail("openssl x509").output().trim();
    assertThat("SHA256:" + openssl.substring(openssl.indexOf('=') + 1)).isEqualTo(leaf.get("fingerprint").asText());
    assertThat(leaf.get("signedBy").asText()).startsWith("CA generation 1 ");
    ConfigMap trust = operator.getKubernetesClient().configMaps().inNamespace(ns()).withName("sgd-trust").get();
    assertThat(Crl.verify(dir, trust, leafPem)).contains(": OK");
    assertThat(leaf.get("revocation").asText()).startsWith("not revoked");
  }

  @Test
  void renewWithWaitReissuesANodeAtOnceAndThePreviousCertificateIsRevoked() throws Exception {
    var client = operator.getKubernetesClient();
    String before = Crl.leafPem(Arrays.secret(client, ns(), "node-b-peer-tls"));

    var renewed = plugin("renew", "node-b", "-n", ns(), "--wait", "--timeout", "2m").orFail("kubectl arraypki renew");

    assertThat(renewed.output()).containsPattern("node/node-b annotated arraypki.io/renew=cli-[0-9]+-[0-9a-f]{8}: done");
    String token = renewed.output().replaceAll("(?s).*arraypki.io/renew=(cli-[0-9a-f-]+).*", "$1");
    assertThat(Arrays.get(client, ns(), "node-b").getMetadata().getAnnotations()).containsEntry("arraypki.io/renew", token);
    String after = Crl.leafPem(Arrays.secret(client, ns(), "node-b-peer-tls"));
    assertThat(after).isNotEqualTo(before);
    // revoked once the trust propagation delay (5 s here) has passed: its pod may still present it until then
    io.arraypki.operator.support.Waits.converge().untilAsserted(() ->
        assertThat(Crl.verify(dir, client.configMaps().inNamespace(ns()).withName("sgd-trust").get(), before))
            .contains("certificate revoked"));
  }

  @Test
  void badTargetsAndOptionsAreRefusedWithAClearErrorAndNothingIsWritten() {
    var missing = plugin("status", "nosuch", "-n", ns());
    assertThat(missing.exitCode()).isEqualTo(3);
    assertThat(missing.output()).contains("error: no ClusterArray nosuch in namespace " + ns());

    var caOfANode = plugin("renew", "node-c", "--ca", "-n", ns());
    assertThat(caOfANode.exitCode()).isEqualTo(3);
    assertThat(caOfANode.output()).contains("error: --ca renews an array's CA; node-c is a Node");
    assertThat(Arrays.get(operator.getKubernetesClient(), ns(), "node-c").getMetadata().getAnnotations())
        .doesNotContainKey("arraypki.io/renew");

    var yaml = plugin("status", "sgd", "-n", ns(), "-o", "yaml");
    assertThat(yaml.exitCode()).isEqualTo(3);
    assertThat(yaml.output()).contains("error: --output must be text or json, not yaml");
  }

  @Test
  void checkFindsTheChartsOperatorUpAndItsCrdsCurrentAndFailsWhereNoOperatorRuns() {
    Assumptions.assumeTrue(OperatorUnderTest.deployed(), "the chart's operator runs only in the deployed suite");
    var check = plugin("check").orFail("kubectl arraypki check");
    assertThat(check.output()).containsPattern("operator   arraypki-least-privilege/arraypki-operator: ([1-9])/\\1 ready")
        .contains("crd        clusterarrays.arraypki.io: current")
        .contains("crd        nodes.arraypki.io: current")
        .contains("crd        candidatemaps.arraypki.io: current");

    var nowhere = plugin("check", "--operator-namespace", ns());
    assertThat(nowhere.exitCode()).isEqualTo(1);
    assertThat(nowhere.output()).contains("operator   NOT FOUND");
  }
}
