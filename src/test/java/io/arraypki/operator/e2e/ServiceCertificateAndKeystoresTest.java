package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.KeystoreSpec;
import io.arraypki.operator.api.KeystoresSpec;
import io.arraypki.operator.api.SecretKeySelector;
import io.arraypki.operator.api.ServiceCertificateSpec;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.Crl;
import io.arraypki.operator.support.MemberTls;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** DESIGN.md section 5: the shared load-balancer certificate, and keystores for JVM members. */
class ServiceCertificateAndKeystoresTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();
  private final Scenario scenario = new Scenario(operator);
  @TempDir Path dir;

  private ClusterArray array(String name) {
    ClusterArray array = Arrays.array(scenario.ns(), name, name + "-0");
    array.getSpec().rotation = new io.arraypki.operator.api.RotationSpec();
    array.getSpec().rotation.trustPropagationDelay = "1s";
    array.getSpec().rotation.overlap = "1s";
    return array;
  }

  @Test
  void theServiceCertificateVerifiesForTheLoadBalancerNameAndNamesUnderItsWildcard() throws Exception {
    ClusterArray array = array("lb");
    array.getSpec().serviceCertificate = new ServiceCertificateSpec();
    array.getSpec().serviceCertificate.commonName = "keys.example.com";
    array.getSpec().serviceCertificate.dnsNames = List.of("keys.example.com", "*.example.com");
    array.getSpec().serviceCertificate.ipAddresses = List.of("10.1.2.3");
    scenario.client().resource(array).create();
    for (int i = 0; i < 2; i++) {
      ArrayNode node = Arrays.node(scenario.ns(), "lb-" + i, "lb");
      node.getSpec().serving = i == 1;
      node.getSpec().serviceAccountName = "lb-" + i;
      scenario.client().resource(node).create();
    }
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "lb", 2);
    Waits.converge().until(() -> scenario.secret("lb-service-tls") != null);
    Secret service = scenario.secret("lb-service-tls");
    Secret member = scenario.secret("lb-0-peer-tls");
    assertThat(MemberTls.handshake(service, member, "keys.example.com")).isNull();
    assertThat(MemberTls.handshake(service, member, "eu.example.com")).as("under the wildcard").isNull();
    assertThat(MemberTls.handshake(service, member, "a.b.example.com")).as("two labels below: the name is refused")
        .startsWith("client: javax.net.ssl.SSLHandshakeException: No subject alternative DNS name matching a.b.example.com");
    Path leaf = Files.writeString(dir.resolve("service.crt"), Crl.leafPem(service));
    Path ca = Files.writeString(dir.resolve("ca.crt"), SecretData.text(service, "ca.crt").orElseThrow());
    assertThat(Commands.openssl("verify", "-CAfile", ca.toString(), leaf.toString()).output()).contains(": OK");
    assertThat(Commands.openssl("x509", "-in", leaf.toString(), "-noout", "-ext", "subjectAltName").output())
        .contains("DNS:keys.example.com, DNS:*.example.com, IP Address:10.1.2.3");

    scenario.setPrimary("lb", "lb-1");
    Waits.upTo(java.time.Duration.ofMinutes(2)).untilAsserted(() -> {
      assertThat(scenario.status("lb").ca.generation).isEqualTo(2L);
      assertThat(scenario.secret("lb-service-tls").getMetadata().getAnnotations())
          .containsEntry("arraypki.io/signed-by-generation", "2");
    });
  }

  @Test
  void keystoresLoadWithJavaOpensslAndKeytoolAndCarryTheChainAfterARotation() throws Exception {
    scenario.client().resource(new SecretBuilder().withNewMetadata().withName("ks-pass").endMetadata()
        .addToStringData("password", "changeit-123").build()).inNamespace(scenario.ns()).create();
    ClusterArray array = array("jvm");
    array.getSpec().keystores = new KeystoresSpec();
    array.getSpec().keystores.pkcs12 = keystore("ks-pass");
    array.getSpec().keystores.jks = keystore("ks-pass");
    scenario.client().resource(array).create();
    scenario.client().resource(Arrays.node(scenario.ns(), "jvm-0", "jvm")).create();
    scenario.client().resource(Arrays.node(scenario.ns(), "jvm-1", "jvm")).create();
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "jvm", 2);
    assertKeystoresMatch(scenario.secret("jvm-0-peer-tls"));

    scenario.setPrimary("jvm", "jvm-1");
    Waits.upTo(java.time.Duration.ofMinutes(2)).untilAsserted(() -> {
      assertThat(scenario.status("jvm").ca.generation).isEqualTo(2L);
      assertThat(scenario.status("jvm").trustedCAs).hasSize(1);
      Secret secret = scenario.secret("jvm-0-peer-tls");
      assertThat(secret.getMetadata().getAnnotations()).containsEntry("arraypki.io/signed-by-generation", "2");
      assertKeystoresMatch(secret);
    });
  }

  @Test
  void aMissingKeystorePasswordSecretIsAConditionAndTheCertificateIsStillIssued() {
    ClusterArray array = array("nopass");
    array.getSpec().keystores = new KeystoresSpec();
    array.getSpec().keystores.pkcs12 = keystore("later-pass");
    scenario.client().resource(array).create();
    scenario.client().resource(Arrays.node(scenario.ns(), "nopass-0", "nopass")).create();
    Waits.converge().untilAsserted(() -> {
      var issued = Conditions.find(Arrays.get(scenario.client(), scenario.ns(), "nopass-0").getStatus().conditions,
          "CertificateIssued").orElseThrow();
      assertThat(issued.getReason()).isEqualTo("KeystorePasswordMissing");
      assertThat(issued.getMessage()).contains("later-pass does not exist");
      assertThat(scenario.secret("nopass-0-peer-tls").getData()).containsKey("tls.crt").doesNotContainKey("keystore.p12");
    });
    scenario.client().resource(new SecretBuilder().withNewMetadata().withName("later-pass").endMetadata()
        .addToStringData("password", "s3cret-pass").build()).inNamespace(scenario.ns()).create();
    Waits.upTo(java.time.Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(scenario.secret("nopass-0-peer-tls").getData()).containsKey("keystore.p12"));
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "nopass", 1);
  }

  /**
   * The password Secrets are cached without their data and read once per change
   * (PasswordSecretReads): a changed password must still reach every member's keystore.
   */
  @Test
  void aChangedKeystorePasswordReachesTheKeystoresOfEveryMember() throws Exception {
    scenario.client().resource(new SecretBuilder().withNewMetadata().withName("turn-pass").endMetadata()
        .addToStringData("password", "first-pass-1").build()).inNamespace(scenario.ns()).create();
    ClusterArray array = array("turn");
    array.getSpec().keystores = new KeystoresSpec();
    array.getSpec().keystores.pkcs12 = keystore("turn-pass");
    scenario.client().resource(array).create();
    List<String> members = List.of("turn-0", "turn-1", "turn-2");
    for (String member : members) {
      scenario.client().resource(Arrays.node(scenario.ns(), member, "turn")).create();
    }
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "turn", members.size());
    for (String member : members) {
      assertThat(opensWith(scenario.secret(member + "-peer-tls"), "first-pass-1")).as(member).isTrue();
    }

    scenario.client().secrets().inNamespace(scenario.ns()).withName("turn-pass")
        .edit(secret -> new SecretBuilder(secret).withData(null).addToStringData("password", "second-pass-2").build());
    Waits.upTo(java.time.Duration.ofSeconds(60)).untilAsserted(() -> {
      for (String member : members) {
        Secret peer = scenario.secret(member + "-peer-tls");
        assertThat(opensWith(peer, "second-pass-2")).as("%s opens with the new password", member).isTrue();
        assertThat(opensWith(peer, "first-pass-1")).as("%s no longer with the old one", member).isFalse();
      }
    });
  }

  /** Whether openssl opens the Secret's keystore.p12 with {@code password}. */
  private boolean opensWith(Secret secret, String password) throws Exception {
    Path p12 = Files.write(Files.createTempFile(dir, "keystore", ".p12"),
        Base64.getDecoder().decode(secret.getData().get("keystore.p12")));
    return Commands.openssl("pkcs12", "-in", p12.toString(), "-passin", "pass:" + password, "-nokeys").exitCode() == 0;
  }

  private static KeystoreSpec keystore(String secret) {
    KeystoreSpec spec = new KeystoreSpec();
    spec.create = true;
    spec.passwordSecretRef = new SecretKeySelector(secret, "password");
    return spec;
  }

  private void assertKeystoresMatch(Secret secret) throws Exception {
    char[] password = "changeit-123".toCharArray();
    X509Certificate leaf = Pem.certificate(Crl.leafPem(secret), "leaf");
    List<X509Certificate> bundle = Pem.certificates(SecretData.text(secret, "ca.crt").orElseThrow(), "ca");
    for (String type : List.of("PKCS12", "JKS")) {
      String suffix = type.equals("PKCS12") ? "p12" : "jks";
      KeyStore keys = KeyStore.getInstance(type);
      keys.load(new ByteArrayInputStream(Base64.getDecoder().decode(secret.getData().get("keystore." + suffix))), password);
      assertThat(((X509Certificate) keys.getCertificate("certificate")).getSerialNumber()).isEqualTo(leaf.getSerialNumber());
      assertThat(keys.getKey("certificate", password)).isNotNull();
      KeyStore trust = KeyStore.getInstance(type);
      trust.load(new ByteArrayInputStream(Base64.getDecoder().decode(secret.getData().get("truststore." + suffix))), password);
      assertThat(trust.size()).isEqualTo(bundle.size());
      assertThat(trust.getCertificate("ca-0")).isEqualTo(bundle.get(0));
    }
    Path p12 = Files.write(dir.resolve("keystore.p12"), Base64.getDecoder().decode(secret.getData().get("keystore.p12")));
    assertThat(Commands.openssl("pkcs12", "-in", p12.toString(), "-passin", "pass:changeit-123", "-nokeys")
        .orFail("openssl pkcs12").output()).contains("subject=CN = " + leaf.getSubjectX500Principal().getName().substring(3));
    Path jks = Files.write(dir.resolve("keystore.jks"), Base64.getDecoder().decode(secret.getData().get("keystore.jks")));
    assertThat(Commands.run("keytool", "-list", "-keystore", jks.toString(), "-storepass", "changeit-123")
        .orFail("keytool").output()).contains("certificate, ").contains("PrivateKeyEntry");
  }
}
