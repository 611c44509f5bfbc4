package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.CertificateRequestsSpec;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.api.RotationSpec;
import io.arraypki.operator.k8s.certmanager.CertificateRequest;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.Crl;
import io.arraypki.operator.support.LocalControlPlane;
import io.arraypki.operator.support.MemberPods;
import io.arraypki.operator.support.OpensslTls;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The array as a cert-manager external issuer, against cert-manager's real CRDs (from its Go
 * module; its controller is not served, so the test does what its certificates controller and
 * approver do: creates the CertificateRequest with its annotations, sets Approved or Denied,
 * reads status.certificate and status.ca, writes the client's Secret, and acts on the Issuing
 * condition). Signed certificates are checked with openssl, used in a real mutual-TLS handshake
 * with a member and from a client pod calling member pods through the member library.
 */
class CertManagerIssuerTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();
  @TempDir Path dir;

  private final Scenario scenario = new Scenario(operator);
  private static int keys;

  private static String ns() {
    return operator.getNamespace();
  }

  /** An array of {@code members} that signs client requests for *.clients.example.com, client auth only. */
  private static List<String> issuingArray(String name, int members, String delay) {
    ClusterArray a = Arrays.array(ns(), name, name + "-0");
    a.getSpec().rotation = new RotationSpec();
    a.getSpec().rotation.trustPropagationDelay = delay;
    a.getSpec().rotation.overlap = delay;
    a.getSpec().certificateRequests = new CertificateRequestsSpec();
    a.getSpec().certificateRequests.enabled = true;
    a.getSpec().certificateRequests.dnsNames = List.of("*.clients.example.com");
    a.getSpec().certificateRequests.maxDuration = "720h";
    operator.getKubernetesClient().resource(a).create();
    List<String> nodes = new ArrayList<>();
    for (int i = 0; i < members; i++) {
      operator.getKubernetesClient().resource(Arrays.node(ns(), name + "-" + i, name)).create();
      nodes.add(name + "-" + i);
    }
    Arrays.awaitArrayReady(operator.getKubernetesClient(), ns(), name, members);
    return nodes;
  }

  @BeforeAll
  static void arrays() {
    issuingArray("iss", 2, "10s");
    ClusterArray closed = Arrays.array(ns(), "closed", "closed-0");
    operator.getKubernetesClient().resource(closed).create();
    operator.getKubernetesClient().resource(Arrays.node(ns(), "closed-0", "closed")).create();
    Arrays.awaitArrayReady(operator.getKubernetesClient(), ns(), "closed", 1);
  }

  /** A key and its CSR, made by openssl as a client would; returns the key file and the CSR PEM. */
  private Path[] keyAndCsr(String subject, String... extensions) {
    int n = ++keys;
    Path key = dir.resolve("client-" + n + ".key");
    Path csr = dir.resolve("client-" + n + ".csr");
    List<String> command = new ArrayList<>(List.of("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key.toString(), "-out", csr.toString(), "-subj", subject));
    for (String e : extensions) {
      command.add("-addext");
      command.add(e);
    }
    Commands.run(command, null, Map.of(), 60).orFail("openssl req");
    return new Path[] {key, csr};
  }

  /** A CertificateRequest as cert-manager's certificates controller creates one for revision {@code revision}. */
  private CertificateRequest request(String name, String array, String certificate, int revision, Path csr,
      List<String> usages, boolean isCa) throws Exception {
    CertificateRequest r = new CertificateRequest();
    r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).withNamespace(ns())
        .addToAnnotations(CertificateRequest.CERTIFICATE_NAME, certificate)
        .addToAnnotations(CertificateRequest.CERTIFICATE_REVISION, Integer.toString(revision)).build());
    r.setSpec(new CertificateRequest.Spec());
    r.getSpec().request = Base64.getEncoder().encodeToString(Files.readAllBytes(csr));
    r.getSpec().usages = usages;
    r.getSpec().isCA = isCa;
    r.getSpec().duration = "2160h0m0s";
    r.getSpec().issuerRef = new CertificateRequest.IssuerRef();
    r.getSpec().issuerRef.group = "arraypki.io";
    r.getSpec().issuerRef.kind = "ClusterArray";
    r.getSpec().issuerRef.name = array;
    return scenario.client().resource(r).create();
  }

  /**
   * What cert-manager's approver (or a policy approver) writes: Approved or Denied, added to the
   * conditions there are (its webhook lets neither be removed or changed afterwards).
   */
  private void decide(String name, String type) {
    CertificateRequest current = get(name);
    List<CertificateRequest.Condition> conditions = new ArrayList<>(current.getStatus() == null
        ? List.of() : current.getStatus().conditions);
    conditions.add(new CertificateRequest.Condition(type, "True", "cert-manager.io",
        "decided by the test as cert-manager's approver would",
        java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()));
    scenario.client().resources(CertificateRequest.class).inNamespace(ns()).withName(name).subresource("status")
        .patch(PatchContext.of(PatchType.JSON_MERGE), scenario.client().getKubernetesSerialization().asJson(
            Map.of("metadata", Map.of("resourceVersion", current.getMetadata().getResourceVersion()),
                "status", Map.of("conditions", conditions))));
  }

  private CertificateRequest get(String name) {
    return scenario.client().resources(CertificateRequest.class).inNamespace(ns()).withName(name).get();
  }

  private CertificateRequest.Condition ready(String name) {
    CertificateRequest r = get(name);
    return r.getStatus() == null ? null : r.getStatus().conditions.stream().filter(c -> "Ready".equals(c.type))
        .findFirst().orElse(null);
  }

  private CertificateRequest awaitReady(String name, String reason) {
    Waits.converge().untilAsserted(() -> assertThat(ready(name)).as("Ready of %s", name).isNotNull()
        .extracting(c -> c.reason).isEqualTo(reason));
    return get(name);
  }

  private static String text(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }

  private Path file(String name, String content) throws Exception {
    return Files.writeString(dir.resolve(name), content);
  }

  /** The Secret cert-manager's issuing controller writes from a signed request. */
  private Secret clientSecret(String name, CertificateRequest signed, Path key) throws Exception {
    return new SecretBuilder().withNewMetadata().withName(name).withNamespace(ns()).endMetadata()
        .withType("kubernetes.io/tls")
        .addToStringData("tls.crt", text(signed.getStatus().certificate))
        .addToStringData("tls.key", Files.readString(key))
        .addToStringData("ca.crt", text(signed.getStatus().ca)).build();
  }

  private List<String> warnings(String reason) {
    return scenario.client().v1().events().inNamespace(ns()).list().getItems().stream()
        .filter(e -> reason.equals(e.getReason())).map(e -> e.getMessage()).toList();
  }

  @Test
  void anApprovedRequestIsSignedForClientAuthByTheArraysCaAndOpensslAndAMemberAcceptIt() throws Exception {
    Path[] client = keyAndCsr("/CN=app.clients.example.com", "subjectAltName=DNS:app.clients.example.com");
    request("app-1", "iss", "app", 1, client[1], List.of("digital signature", "key encipherment"), false);
    decide("app-1", "Approved");

    CertificateRequest signed = awaitReady("app-1", "Issued");

    String chain = text(signed.getStatus().certificate);
    String ca = text(signed.getStatus().ca);
    assertThat(ca).isEqualTo(scenario.client().configMaps().inNamespace(ns()).withName("iss-trust").get()
        .getData().get("ca.crt"));
    assertThat(Commands.openssl("verify", "-purpose", "sslclient", "-CAfile", file("ca.pem", ca).toString(),
        file("leaf.pem", chain).toString()).orFail("openssl verify").output()).contains(": OK");
    String decoded = Commands.openssl("x509", "-noout", "-text", "-in", dir.resolve("leaf.pem").toString())
        .orFail("openssl x509").output();
    assertThat(decoded).contains("TLS Web Client Authentication").doesNotContain("TLS Web Server Authentication")
        .contains("DNS:app.clients.example.com").contains("CA:FALSE");
    X509Certificate leaf = Pem.certificates(chain, "leaf").get(0);
    assertThat(java.time.Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant()))
        .as("2160h asked, the array's maxDuration 720h given").isEqualTo(Duration.ofHours(720));
    assertThat(signed.getMetadata().getAnnotations()).containsEntry("arraypki.io/ca-generation", "1");
    assertThat(Crl.verify(dir, scenario.client().configMaps().inNamespace(ns()).withName("iss-trust").get(), chain))
        .contains(": OK");

    // a real mutual-TLS handshake: openssl s_server with a member's Secret, requiring a client
    // certificate; openssl s_client with the Secret cert-manager would write
    Secret secret = clientSecret("app-tls", signed, client[0]);
    assertThat(OpensslTls.handshake(dir.resolve("handshake"), scenario.secret("iss-1-peer-tls"), secret,
        Arrays.get(scenario.client(), ns(), "iss-1").getSpec().peerDNSName)).isNull();
  }

  @Test
  void requestsOutsideThePolicyAreFailedWithTheirReasonAndAWarningAndNeverSigned() throws Exception {
    Path[] outside = keyAndCsr("/CN=db.example.com", "subjectAltName=DNS:db.example.com");
    request("outside-1", "iss", "outside", 1, outside[1], List.of("client auth"), false);
    Path[] server = keyAndCsr("/CN=web.clients.example.com", "subjectAltName=DNS:web.clients.example.com");
    request("server-1", "iss", "server", 1, server[1], List.of("server auth"), false);
    Path[] ca = keyAndCsr("/CN=sub.clients.example.com");
    request("ca-1", "iss", "ca", 1, ca[1], List.of("cert sign"), true);
    for (String name : List.of("outside-1", "server-1", "ca-1")) {
      decide(name, "Approved");
    }

    assertThat(awaitReady("outside-1", "Failed").getStatus()).satisfies(s -> {
      assertThat(s.certificate).isNull();
      assertThat(s.failureTime).isNotNull();
      assertThat(s.conditions).anySatisfy(c -> assertThat(c.message).isEqualTo("NamesNotAllowed: common name"
          + " db.example.com is not allowed by spec.certificateRequests.dnsNames [*.clients.example.com]"));
    });
    assertThat(awaitReady("server-1", "Failed").getStatus().certificate).isNull();
    assertThat(ready("server-1").message).startsWith("UsagesNotAllowed: usage 'server auth' is not allowed");
    assertThat(awaitReady("ca-1", "Failed").getStatus().certificate).isNull();
    assertThat(ready("ca-1").message).startsWith("CARequested:");
    Waits.converge().untilAsserted(() -> {
      assertThat(warnings("NamesNotAllowed")).anySatisfy(m -> assertThat(m).contains("db.example.com"));
      assertThat(warnings("CARequested")).isNotEmpty();
    });
  }

  @Test
  void aDeniedRequestIsNeverSignedAndAnUnapprovedOneWaits() throws Exception {
    Path[] csr = keyAndCsr("/CN=denied.clients.example.com", "subjectAltName=DNS:denied.clients.example.com");
    request("denied-1", "iss", "denied", 1, csr[1], List.of(), false);
    request("waiting-1", "iss", "waiting", 1, csr[1], List.of(), false);
    decide("denied-1", "Denied");

    CertificateRequest denied = awaitReady("denied-1", "Denied");
    assertThat(denied.getStatus().certificate).isNull();
    assertThat(denied.getStatus().failureTime).isNotNull();
    assertThat(get("waiting-1").getStatus()).as("no approval, nothing written")
        .satisfiesAnyOf(s -> assertThat(s).isNull(), s -> assertThat(s.conditions).noneMatch(c -> "Ready".equals(c.type)));

    decide("waiting-1", "Approved");
    awaitReady("waiting-1", "Issued");
    assertThat(get("denied-1").getStatus().certificate).as("still unsigned").isNull();
    assertThat(ready("denied-1").reason).isEqualTo("Denied");
  }

  @Test
  void anArrayThatDoesNotSignRequestsLeavesThemPendingSayingWhatToSet() throws Exception {
    Path[] csr = keyAndCsr("/CN=x.clients.example.com", "subjectAltName=DNS:x.clients.example.com");
    request("closed-1", "closed", "closed-app", 1, csr[1], List.of(), false);
    request("nowhere-1", "no-such-array", "nowhere", 1, csr[1], List.of(), false);
    decide("closed-1", "Approved");
    decide("nowhere-1", "Approved");

    assertThat(awaitReady("closed-1", "Pending").getStatus().certificate).isNull();
    assertThat(ready("closed-1").message).contains("set spec.certificateRequests.enabled to true");
    assertThat(awaitReady("nowhere-1", "Pending").getStatus().certificate).isNull();
    assertThat(ready("nowhere-1").message).isEqualTo("ClusterArray no-such-array does not exist in namespace " + ns());
  }

  @Test
  void aRotationReachesTheClientsThroughCertManagersReissueAndTheReplacedCertificatesAreRevoked() throws Exception {
    issuingArray("rot", 2, "20s");
    var certificates = scenario.client().genericKubernetesResources("cert-manager.io/v1", "Certificate").inNamespace(ns());
    LocalControlPlane.kubectl("""
        apiVersion: cert-manager.io/v1
        kind: Certificate
        metadata: {name: billing}
        spec:
          secretName: billing-tls
          dnsNames: [billing.clients.example.com]
          issuerRef: {group: arraypki.io, kind: ClusterArray, name: rot}
        """, "apply", "-n", ns(), "-f", "-").orFail("apply the Certificate");
    List<String> signed = new ArrayList<>();
    List<String> asked = new ArrayList<>();
    // cert-manager: the first revision
    issueRevision(1, signed);

    scenario.patch(ClusterArray.class, "rot", "{\"metadata\":{\"annotations\":{\"arraypki.io/renew-ca\":\"cm-1\"}}}");
    // cert-manager, until the rotation is over: each Issuing=True the array adds starts the next
    // revision, and cert-manager takes the condition off once it is issued
    Waits.upTo(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1)).until(() -> {
      GenericKubernetesResource certificate = certificates.withName("billing").get();
      Map<String, Object> issuing = issuingCondition(certificate);
      if (issuing != null) {
        asked.add((String) issuing.get("message"));
        issueRevision(signed.size() + 1, signed);
        certificates.withName("billing").subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
            "{\"status\":{\"conditions\":null}}");
      }
      var status = scenario.status("rot");
      return status.rotation.phase == RotationPhase.Idle && status.ca.generation == 2L
          && "2".equals(get("billing-" + signed.size()).getMetadata().getAnnotations().get("arraypki.io/ca-generation"));
    });

    io.arraypki.operator.support.MemberPodsRecord.record("cert-manager issuer: renew-ca reached Certificate billing"
        + " through " + asked.size() + " re-issue(s) (" + String.join("; ", asked) + "), revisions signed: "
        + signed.size());
    assertThat(asked).as("what the array asked cert-manager for").isNotEmpty()
        .allSatisfy(m -> assertThat(m).startsWith("Re-issue requested by ClusterArray rot: "))
        .anySatisfy(m -> assertThat(m).contains("CA generation 2 signs now"));
    CertificateRequest last = get("billing-" + signed.size());
    String lastChain = text(last.getStatus().certificate);
    var trust = scenario.client().configMaps().inNamespace(ns()).withName("rot-trust").get();
    assertThat(Crl.verify(dir, trust, lastChain)).as("the latest revision, signed by generation 2").contains(": OK");
    // every earlier revision is revoked once the client had the propagation delay to load its
    // successor: on the revocation ledger, and the ones generation 2 signed on its CRL
    Waits.upTo(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
      var published = scenario.client().configMaps().inNamespace(ns()).withName("rot-trust").get();
      for (int revision = 1; revision < signed.size(); revision++) {
        CertificateRequest earlier = get("billing-" + revision);
        String earlierChain = text(earlier.getStatus().certificate);
        X509Certificate earlierLeaf = Pem.certificates(earlierChain, "leaf").get(0);
        assertThat(published.getData().get("revocations.json")).as("revision %d on the ledger", revision)
            .contains(earlierLeaf.getSerialNumber().toString(16).toUpperCase(java.util.Locale.ROOT));
        if ("2".equals(earlier.getMetadata().getAnnotations().get("arraypki.io/ca-generation"))) {
          assertThat(Crl.verify(dir, published, earlierChain)).as("revision %d", revision).contains("revoked");
        }
      }
    });
  }

  /** Does what cert-manager does for one revision: key, CSR, request, approval; waits for it to be signed. */
  private void issueRevision(int revision, List<String> signed) throws Exception {
    Path[] csr = keyAndCsr("/CN=billing.clients.example.com", "subjectAltName=DNS:billing.clients.example.com");
    request("billing-" + revision, "rot", "billing", revision, csr[1], List.of("digital signature",
        "key encipherment"), false);
    decide("billing-" + revision, "Approved");
    awaitReady("billing-" + revision, "Issued");
    signed.add("billing-" + revision);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> issuingCondition(GenericKubernetesResource certificate) {
    Object status = certificate.getAdditionalProperties().get("status");
    if (!(status instanceof Map<?, ?> s) || !(s.get("conditions") instanceof List<?> conditions)) {
      return null;
    }
    return conditions.stream().map(c -> (Map<String, Object>) c)
        .filter(c -> "Issuing".equals(c.get("type")) && "True".equals(c.get("status"))).findFirst().orElse(null);
  }

  @Test
  void aClientPodWithASignedCertificateCallsTheMemberPodsThroughTheMemberLibrary() throws Exception {
    List<String> nodes = issuingArray("pods", 2, "10s");
    Path[] client = keyAndCsr("/CN=reporting.clients.example.com",
        "subjectAltName=DNS:reporting.clients.example.com");
    request("reporting-1", "pods", "reporting", 1, client[1], List.of(), false);
    decide("reporting-1", "Approved");
    CertificateRequest signed = awaitReady("reporting-1", "Issued");
    scenario.client().resource(clientSecret("reporting-tls", signed, client[0])).create();

    MemberPods members = MemberPods.start(scenario.client(), ns(), "pods", nodes);
    try {
      members.startClient("reporting", "reporting-tls");
      Waits.upTo(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
          assertThat(members.clientTotals("reporting").successes()).as("calls from the client pod")
              .isGreaterThanOrEqualTo(10));
      MemberPods.Totals calls = members.clientTotals("reporting");
      io.arraypki.operator.support.MemberPodsRecord.record("cert-manager issuer: a client pod with a certificate"
          + " the array signed for cert-manager called 2 member pods: " + calls.text());
      assertThat(calls.failures()).as("failed calls:\n" + String.join("\n", calls.recentFailures())).isZero();
    } finally {
      members.delete();
    }
  }
}
