package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.CsrSigning;
import io.arraypki.operator.api.KeyProvider;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.LocalControlPlane;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestBuilder;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** CSR signing for nodes that keep their key: the operator as a Kubernetes certificate signer. */
class CsrSigningTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();
  private static final Scenario scenario = new Scenario(operator);
  @TempDir static Path keys;

  @BeforeAll
  static void anArrayWithNodesThatKeepTheirKeys() {
    ClusterArray array = Arrays.array(scenario.ns(), "tpm", "tpm-0");
    array.getSpec().rotation = new io.arraypki.operator.api.RotationSpec();
    array.getSpec().rotation.trustPropagationDelay = "1s";
    array.getSpec().rotation.overlap = "1s";
    scenario.client().resource(array).create();
    scenario.client().resource(Arrays.node(scenario.ns(), "tpm-0", "tpm")).create();
    scenario.client().resource(external("tpm-1", CsrSigning.Enabled, null)).create();
    scenario.client().resource(external("tpm-2", CsrSigning.Disabled, null)).create();
    scenario.client().resource(external("tpm-3", CsrSigning.Enabled, "tpm-3-sa")).create();
    Waits.converge().until(() -> scenario.status("tpm") != null && scenario.status("tpm").ca != null);
  }

  private static ArrayNode external(String name, CsrSigning signing, String serviceAccount) {
    ArrayNode node = Arrays.node(scenario.ns(), name, "tpm");
    node.getSpec().keyProvider = KeyProvider.External;
    node.getSpec().csrSigning = signing;
    node.getSpec().serviceAccountName = serviceAccount;
    return node;
  }

  /** A key kept in the test (as a TPM would keep it) and a CSR for it, made with openssl. */
  private static String csrPem(String file, String key, String subject, String... extensions) {
    List<String> command = new ArrayList<>(List.of("openssl", "req", "-new", "-nodes", "-subj", subject,
        "-keyout", file + ".key", "-out", file + ".csr"));
    command.addAll(key.startsWith("rsa") ? List.of("-newkey", key) : List.of("-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:" + key));
    for (String ext : extensions) {
      command.add("-addext");
      command.add(ext);
    }
    Commands.runIn(keys, command, null, Map.of(), 60).orFail("openssl req");
    try {
      return Files.readString(keys.resolve(file + ".csr"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static CertificateSigningRequest submit(String name, String pem, String... usages) {
    CertificateSigningRequest csr = new CertificateSigningRequestBuilder()
        .withNewMetadata().withName(name + "-" + scenario.ns()).endMetadata()
        .withNewSpec().withSignerName("clusterarrays.arraypki.io/" + scenario.ns() + ".tpm")
        .withRequest(Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.UTF_8)))
        .withUsages(usages.length == 0 ? List.of("digital signature", "server auth", "client auth") : List.of(usages))
        .endSpec().build();
    return scenario.client().resource(csr).create();
  }

  private static void approve(String name) {
    LocalControlPlane.kubectl(null, "certificate", "approve", name + "-" + scenario.ns()).orFail("approve");
  }

  private static CertificateSigningRequest get(String name) {
    return scenario.client().certificates().v1().certificateSigningRequests().withName(name + "-" + scenario.ns()).get();
  }

  @Test
  void anApprovedCsrIsSignedOnceForTheSameKeyWithNoKeyStoredAndReSignedAfterAPrimaryChange() throws Exception {
    String pem = csrPem("tpm-1", "P-256", "/CN=tpm-1.tpm.example.com",
        "subjectAltName=DNS:tpm-1.tpm.example.com,DNS:tpm-1.internal,IP:127.0.0.1");
    String submitted = submit("good", pem).getMetadata().getResourceVersion();
    awaitSignerAnswered("witness-1");
    assertThat(get("good").getStatus() == null || get("good").getStatus().getCertificate() == null)
        .as("not approved: it waits").isTrue();
    assertThat(get("good").getMetadata().getResourceVersion()).as("not approved: the signer never wrote it")
        .isEqualTo(submitted);
    approve("good");
    Waits.converge().until(() -> get("good").getStatus().getCertificate() != null);
    String issued = new String(Base64.getDecoder().decode(get("good").getStatus().getCertificate()), StandardCharsets.UTF_8);
    Path cert = Files.writeString(keys.resolve("issued.crt"), issued);
    Path ca = Files.writeString(keys.resolve("ca.crt"),
        SecretData.text(scenario.secret("tpm-ca"), "tls.crt").orElseThrow());
    assertThat(Commands.openssl("verify", "-CAfile", ca.toString(), cert.toString()).output()).contains(": OK");
    String publicFromCert = Commands.openssl("x509", "-in", cert.toString(), "-noout", "-pubkey").output();
    String publicFromKey = Commands.openssl("pkey", "-in", keys.resolve("tpm-1.key").toString(), "-pubout").output();
    assertThat(publicFromCert).isEqualTo(publicFromKey);
    var peer = scenario.secret("tpm-1-peer-tls");
    assertThat(SecretData.text(peer, "tls.key").orElse("")).as("no private key stored").isEmpty();
    assertThat(SecretData.text(peer, "tls.crt").orElseThrow()).isEqualTo(issued);
    Waits.converge().untilAsserted(() -> assertThat(
        io.arraypki.operator.k8s.Conditions.isTrue(Arrays.get(scenario.client(), scenario.ns(), "tpm-1").getStatus().conditions,
            "CertificateIssued")).isTrue());

    // Touching the CSR again never signs it twice: neither the CSR nor the node's Secret is written.
    String peerVersion = scenario.secret("tpm-1-peer-tls").getMetadata().getResourceVersion();
    String touched = scenario.client().certificates().v1().certificateSigningRequests().withName("good-" + scenario.ns())
        .edit(c -> {
          c.getMetadata().setLabels(Map.of("touched", "yes"));
          return c;
        }).getMetadata().getResourceVersion();
    awaitSignerAnswered("witness-2");
    assertThat(get("good").getMetadata().getResourceVersion()).as("a signed CSR touched: the signer never wrote it again")
        .isEqualTo(touched);
    assertThat(scenario.secret("tpm-1-peer-tls").getMetadata().getResourceVersion())
        .as("a signed CSR touched: the node's Secret is not written again").isEqualTo(peerVersion);
    assertThat(get("good").getStatus().getCertificate()).isEqualTo(Base64.getEncoder().encodeToString(
        issued.getBytes(StandardCharsets.UTF_8)));

    var before = Pem.certificate(issued, "leaf");
    scenario.setPrimary("tpm", "tpm-2");
    scenario.patch(ArrayNode.class, "tpm-2", "{\"spec\":{\"masterCapable\":true}}");
    Waits.upTo(Duration.ofMinutes(2)).untilAsserted(() -> {
      assertThat(scenario.status("tpm").ca.generation).isEqualTo(2L);
      var after = Pem.certificate(SecretData.text(scenario.secret("tpm-1-peer-tls"), "tls.crt").orElseThrow(), "leaf");
      assertThat(scenario.secret("tpm-1-peer-tls").getMetadata().getAnnotations())
          .containsEntry("arraypki.io/signed-by-generation", "2");
      assertThat(after.getPublicKey()).isEqualTo(before.getPublicKey());
      assertThat(after.getSerialNumber()).isNotEqualTo(before.getSerialNumber());
    });
  }

  /**
   * Without a sleep, that the signer has handled what happened before now: a witness request,
   * submitted and approved now for a node no array has, is answered (refused, UnknownNode). The
   * signer's informer delivers events in the API server's order and its executor starts them in
   * that order, so by then it has handled every earlier event of the other requests.
   */
  private static void awaitSignerAnswered(String witness) {
    submit(witness, csrPem(witness, "P-256", "/CN=nobody-" + witness + ".tpm.example.com"));
    approve(witness);
    Waits.converge().untilAsserted(() -> assertThat(get(witness).getStatus().getConditions())
        .anySatisfy(c -> assertThat(c.getReason()).isEqualTo("UnknownNode")));
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("unknown", csr("unknown", "P-256", "/CN=nobody.tpm.example.com"), "UnknownNode"),
        Arguments.of("disabled", csr("disabled", "P-256", "/CN=tpm-2.tpm.example.com"), "SigningDisabled"),
        Arguments.of("others-name", csr("others", "P-256", "/CN=tpm-0.tpm.example.com"), "SigningDisabled"),
        Arguments.of("extra-san", csr("extra", "P-256", "/CN=tpm-1.tpm.example.com",
            "subjectAltName=DNS:tpm-1.tpm.example.com,DNS:evil.example.com"), "NamesNotAllowed"),
        Arguments.of("ca-asked", csr("ca", "P-256", "/CN=tpm-1.tpm.example.com",
            "basicConstraints=critical,CA:TRUE"), "CARequested"),
        Arguments.of("weak-key", csr("weak", "rsa:1024", "/CN=tpm-1.tpm.example.com"), "WeakKey"),
        Arguments.of("wrong-requester", csr("requester", "P-256", "/CN=tpm-3.tpm.example.com"), "WrongRequester"));
  }

  private static String csr(String file, String key, String subject, String... extensions) {
    return csrPem(file, key, subject, extensions);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void aCsrOutsideTheRulesGetsAFailedConditionWithItsReason(String name, String pem, String reason) {
    submit(name, pem);
    approve(name);
    Waits.converge().untilAsserted(() -> {
      var status = get(name).getStatus();
      assertThat(status.getCertificate()).isNull();
      assertThat(status.getConditions()).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo("Failed");
        assertThat(c.getReason()).isEqualTo(reason);
      });
    });
  }
}
