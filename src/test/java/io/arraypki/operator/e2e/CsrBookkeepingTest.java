package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.CsrSigning;
import io.arraypki.operator.api.KeyProvider;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.pki.SerialNumbers;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.Crl;
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
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A certificate signed from a CSR is kept like any other (one writer of leaf Secrets): its
 * lifetime from expirationSeconds holds, and the certificate it replaces reaches the CRL
 * (issue 13, bugs 6 and 7).
 */
class CsrBookkeepingTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();
  private final Scenario scenario = new Scenario(operator);
  @TempDir Path keys;

  private void arrayWithANodeThatKeepsItsKey(String array) {
    ClusterArray a = Arrays.array(scenario.ns(), array, array + "-0");
    a.getSpec().rotation = new io.arraypki.operator.api.RotationSpec();
    a.getSpec().rotation.trustPropagationDelay = "1s";
    a.getSpec().rotation.overlap = "1s";
    scenario.client().resource(a).create();
    scenario.client().resource(Arrays.node(scenario.ns(), array + "-0", array)).create();
    ArrayNode external = Arrays.node(scenario.ns(), array + "-1", array);
    external.getSpec().keyProvider = KeyProvider.External;
    external.getSpec().csrSigning = CsrSigning.Enabled;
    scenario.client().resource(external).create();
    Waits.converge().until(() -> scenario.status(array) != null && scenario.status(array).ca != null);
  }

  /** A new key made with openssl (as the node would, in its TPM) and a CSR for it, signed and approved. */
  private X509Certificate signed(String array, String name, Integer expirationSeconds) {
    String node = array + "-1";
    String host = node + "." + array + ".example.com";
    Commands.runIn(keys, List.of("openssl", "req", "-new", "-nodes", "-subj", "/CN=" + host, "-keyout", name + ".key",
        "-out", name + ".csr", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-addext",
        "subjectAltName=DNS:" + host + ",DNS:" + node + ".internal,IP:127.0.0.1"), null, Map.of(), 60).orFail("req");
    String pem;
    try {
      pem = Files.readString(keys.resolve(name + ".csr"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    String csrName = name + "-" + scenario.ns();
    scenario.client().resource(new CertificateSigningRequestBuilder()
        .withNewMetadata().withName(csrName).endMetadata()
        .withNewSpec().withSignerName("clusterarrays.arraypki.io/" + scenario.ns() + "." + array)
        .withRequest(Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.UTF_8)))
        .withUsages(List.of("digital signature", "server auth", "client auth"))
        .withExpirationSeconds(expirationSeconds)
        .endSpec().build()).create();
    LocalControlPlane.kubectl(null, "certificate", "approve", csrName).orFail("approve");
    Waits.converge().until(() -> {
      CertificateSigningRequest csr = scenario.client().certificates().v1().certificateSigningRequests()
          .withName(csrName).get();
      return csr.getStatus() != null && csr.getStatus().getCertificate() != null;
    });
    String issued = new String(Base64.getDecoder().decode(scenario.client().certificates().v1()
        .certificateSigningRequests().withName(csrName).get().getStatus().getCertificate()), StandardCharsets.UTF_8);
    return Pem.certificate(issued, "leaf");
  }

  private X509Certificate held(String secret) {
    return Pem.certificate(SecretData.text(scenario.secret(secret), "tls.crt").orElseThrow(), "leaf");
  }

  /** The node's status shows the serial: its reconciler has seen the Secret the signer wrote. */
  private void awaitNodeHolds(String node, X509Certificate cert) {
    Waits.converge().untilAsserted(() -> assertThat(
        Arrays.get(scenario.client(), scenario.ns(), node).getStatus().peerCertificate.serialNumber)
        .isEqualTo(SerialNumbers.format(cert.getSerialNumber())));
  }

  @Test
  void aCsrsExpirationSecondsIsKeptByTheNodesReconcilerNotUndoneAndRevoked() {
    arrayWithANodeThatKeepsItsKey("short");
    X509Certificate signed = signed("short", "two-hours", 7200);
    assertThat(Duration.between(signed.getNotBefore().toInstant(), signed.getNotAfter().toInstant()))
        .isEqualTo(Duration.ofHours(2));
    awaitNodeHolds("short-1", signed);
    assertThat(held("short-1-peer-tls").getSerialNumber()).isEqualTo(signed.getSerialNumber());
    assertThat(Crl.verify(keys, scenario.client().configMaps().inNamespace(scenario.ns()).withName("short-trust")
        .get(), Pem.encode(signed))).contains(": OK");
  }

  @Test
  void theCertificateASecondCsrReplacesReachesTheCrl() {
    arrayWithANodeThatKeepsItsKey("again");
    X509Certificate first = signed("again", "first", null);
    awaitNodeHolds("again-1", first);
    X509Certificate second = signed("again", "second", null);
    awaitNodeHolds("again-1", second);
    Waits.converge().untilAsserted(() -> {
      var trust = scenario.client().configMaps().inNamespace(scenario.ns()).withName("again-trust").get();
      assertThat(Crl.verify(keys, trust, Pem.encode(first))).contains("certificate revoked");
      assertThat(Crl.verify(keys, trust, Pem.encode(second))).contains(": OK");
    });
    assertThat(held("again-1-peer-tls").getSerialNumber()).isEqualTo(second.getSerialNumber());
  }

  /**
   * Bug 9: the signer writes the CSR's status, then the node's Secret; a crash in between left
   * the Node in WaitingForCSR for good (a signed CSR was never looked at again). The lost write
   * is played here by deleting the Secret the signer wrote; the CSR's next reconcile (any event
   * on it, or the start of the next operator process) writes its certificate again.
   */
  @Test
  void aSignedCsrWhoseCertificateNeverReachedTheSecretIsWrittenOnItsNextReconcile() {
    arrayWithANodeThatKeepsItsKey("lost");
    X509Certificate signed = signed("lost", "lost-write", null);
    awaitNodeHolds("lost-1", signed);
    scenario.client().secrets().inNamespace(scenario.ns()).withName("lost-1-peer-tls").delete();
    // The Node goes to WaitingForCSR; a reconcile of the CSR may come before this test could see
    // that (the deployed operator is quick), so only the outcome is checked: on the code before
    // the fix the Secret never came back, and this failed below.
    scenario.client().certificates().v1().certificateSigningRequests().withName("lost-write-" + scenario.ns())
        .edit(csr -> {
          csr.getMetadata().setAnnotations(Map.of("example.com/touched", "yes"));
          return csr;
        });
    Waits.converge().untilAsserted(() ->
        assertThat(held("lost-1-peer-tls").getSerialNumber()).isEqualTo(signed.getSerialNumber()));
    awaitNodeHolds("lost-1", signed);
  }
}
