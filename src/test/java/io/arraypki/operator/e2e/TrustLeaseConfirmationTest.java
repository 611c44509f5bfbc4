package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.support.LocalControlPlane;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.trust.Confirmation;
import io.arraypki.operator.trust.KubernetesLease;
import io.arraypki.operator.trust.MemberTls;
import io.arraypki.operator.trust.TestPki;
import io.arraypki.operator.trust.TrustConfirmations;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The member library's trust confirmations against the real API server, with the rights the
 * operator gives a member: its ServiceAccount may get, update and patch its own trust Lease and
 * no other. No operator runs: this class sets up what the operator would (ServiceAccounts,
 * Leases, Roles) with an admin client, then writes as the member, with a token of the
 * TokenRequest API, through {@link KubernetesLease} (the JDK's HTTP client, no fabric8). Tagged
 * in-process so that it runs once, in the group beside no deployed operator.
 */
@Tag(OperatorUnderTest.IN_PROCESS_ONLY)
class TrustLeaseConfirmationTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration POLL = Duration.ofMillis(200);
  private static KubernetesClient admin;
  private static String ns;
  private static URI apiServer;
  private static SSLContext apiTls;
  private static String tokenOfA;
  private static byte[] apiCaPem;

  @TempDir Path dir;

  private final CertificateAuthority oldCa = TestPki.ca("array-ca-1");
  private final CertificateAuthority newCa = TestPki.ca("array-ca-2");
  private final ConcurrentLinkedQueue<String> logged = new ConcurrentLinkedQueue<>();

  @BeforeAll
  static void membersWithALeaseEachThatOnlyTheyMayWrite() throws Exception {
    admin = LocalControlPlane.client();
    ns = "trust-lease-" + UUID.randomUUID().toString().substring(0, 8);
    admin.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    for (String member : List.of("a", "b")) {
      admin.resource(new ServiceAccountBuilder().withNewMetadata().withName(member).withNamespace(ns).endMetadata()
          .build()).create();
      admin.resource(new LeaseBuilder().withNewMetadata().withName(member + "-trust").withNamespace(ns).endMetadata()
          .withNewSpec().endSpec().build()).create();
      // as the operator grants it: its own Lease, by name, nothing else
      admin.resource(new RoleBuilder().withNewMetadata().withName(member + "-trust").withNamespace(ns).endMetadata()
          .withRules(new PolicyRuleBuilder().withApiGroups("coordination.k8s.io").withResources("leases")
              .withResourceNames(member + "-trust").withVerbs("get", "update", "patch").build())
          .build()).create();
      admin.resource(new RoleBindingBuilder().withNewMetadata().withName(member + "-trust").withNamespace(ns)
          .endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", member + "-trust")
          .addNewSubject().withKind("ServiceAccount").withName(member).withNamespace(ns).endSubject().build()).create();
    }
    tokenOfA = admin.serviceAccounts().inNamespace(ns).withName("a")
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
        .getStatus().getToken();
    Config config = admin.getConfiguration();
    apiServer = URI.create(config.getMasterUrl());
    apiCaPem = config.getCaCertData() != null && !config.getCaCertData().isBlank()
        ? Base64.getDecoder().decode(config.getCaCertData())
        : Files.readAllBytes(Path.of(config.getCaCertFile()));
    apiTls = KubernetesLease.trusting(apiCaPem);
  }

  @AfterAll
  static void deleteTheNamespace() {
    if (admin != null) {
      if (ns != null) {
        admin.namespaces().withName(ns).delete();
      }
      admin.close();
    }
  }

  @AfterEach
  void printWhatTheReporterLogged() {
    logged.forEach(line -> System.out.println("reporter: " + line));
  }

  private KubernetesLease leaseAsA(String leaseName) {
    return new KubernetesLease(apiServer, () -> tokenOfA, apiTls, ns, leaseName);
  }

  /** The Lease as the API server serves it (raw JSON: renewTime exactly as stored). */
  private static JsonNode lease(String name) throws Exception {
    return JSON.readTree(admin.raw("/apis/coordination.k8s.io/v1/namespaces/" + ns + "/leases/" + name));
  }

  private static Map<String, String> annotations(JsonNode lease) {
    Map<String, String> out = new HashMap<>();
    lease.path("metadata").path("annotations").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }

  private MemberTls mount(TestPki.Leaf leaf, CertificateAuthority... trusted) {
    TestPki.mount(dir.resolve("tls"), TestPki.tlsFiles(leaf));
    TestPki.mount(dir.resolve("trust"), Map.of("ca.crt", TestPki.bundle(trusted)));
    return MemberTls.open(dir.resolve("tls"), dir.resolve("trust"), false);
  }

  @Test
  void aMemberConfirmsOnItsLeaseOncePerChangeAndNotAtAllWhileNothingChanges() throws Exception {
    TestPki.Leaf leaf = TestPki.leaf(oldCa, "a.array.example");
    MemberTls tls = mount(leaf, oldCa);
    String resourceVersion;
    try (TrustConfirmations confirmations =
        TrustConfirmations.forMember(leaseAsA("a-trust"), "member-a-0", POLL, logged::add, tls).start()) {
      await(() -> confirmations.status().writes() == 1);
      JsonNode first = lease("a-trust");
      Map<String, String> annotations = annotations(first);
      assertThat(annotations).containsOnlyKeys(Confirmation.TRUSTED_CAS, Confirmation.LEAF_SERIALS,
          Confirmation.CONFIRMED_AT);
      assertThat(annotations.get(Confirmation.TRUSTED_CAS)).isEqualTo(Fingerprints.digest(oldCa.certificate()));
      assertThat(annotations.get(Confirmation.LEAF_SERIALS)).isEqualTo(leaf.serial().toString(16));
      Instant confirmedAt = Instant.parse(annotations.get(Confirmation.CONFIRMED_AT));
      assertThat(first.path("spec").path("holderIdentity").asText()).isEqualTo("member-a-0");
      System.out.println("a-trust as the API server holds it: " + first.path("metadata").path("annotations") + " "
          + first.path("spec"));
      String renewTime = first.path("spec").path("renewTime").asText();
      assertThat(renewTime).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z");
      assertThat(Instant.parse(renewTime)).isEqualTo(confirmedAt);

      // nothing changes: no request writes the Lease (its resourceVersion stays) over ten polls
      resourceVersion = first.path("metadata").path("resourceVersion").asText();
      Thread.sleep(POLL.multipliedBy(10).toMillis());
      assertThat(lease("a-trust").path("metadata").path("resourceVersion").asText()).isEqualTo(resourceVersion);
      assertThat(confirmations.status().writes()).isEqualTo(1);

      // the array's new CA is published beside the old one: one more write
      TestPki.mount(dir.resolve("trust"), Map.of("ca.crt", TestPki.bundle(newCa, oldCa)));
      await(() -> confirmations.status().writes() == 2);
      JsonNode second = lease("a-trust");
      assertThat(annotations(second).get(Confirmation.TRUSTED_CAS)).isEqualTo(String.join(",", Stream.of(
          Fingerprints.digest(oldCa.certificate()), Fingerprints.digest(newCa.certificate())).sorted().toList()));
      resourceVersion = second.path("metadata").path("resourceVersion").asText();
      assertThat(resourceVersion).isNotEqualTo(first.path("metadata").path("resourceVersion").asText());
      Thread.sleep(POLL.multipliedBy(10).toMillis());
      assertThat(lease("a-trust").path("metadata").path("resourceVersion").asText()).isEqualTo(resourceVersion);
      assertThat(confirmations.status().writes()).isEqualTo(2);
      assertThat(confirmations.status().failures()).isZero();
    }

    // the member restarts with the same files: it reads the Lease and writes nothing
    MemberTls restarted = MemberTls.open(dir.resolve("tls"), dir.resolve("trust"), false);
    try (TrustConfirmations confirmations =
        TrustConfirmations.forMember(leaseAsA("a-trust"), "member-a-1", POLL, logged::add, restarted).start()) {
      await(() -> confirmations.status().confirmed() != null);
      Thread.sleep(POLL.multipliedBy(10).toMillis());
      assertThat(confirmations.status().writes()).isZero();
      assertThat(lease("a-trust").path("metadata").path("resourceVersion").asText()).isEqualTo(resourceVersion);
    }
    assertThat(logged).filteredOn(l -> l.startsWith("confirmed on Lease " + ns + "/a-trust")).hasSize(2);
  }

  @Test
  void aMembersTokenIsRefusedOnAnotherMembersLeaseWithTheApisMessage() throws Exception {
    KubernetesLease other = leaseAsA("b-trust");
    Confirmation confirmation = new Confirmation(List.of(Fingerprints.digest(oldCa.certificate())), List.of("1f"));
    assertThatThrownBy(() -> other.write(confirmation, "member-a-0", Instant.now()))
        .isInstanceOfSatisfying(KubernetesLease.LeaseException.class, e -> assertThat(e.status()).isEqualTo(403))
        .hasMessageContaining("HTTP 403")
        .hasMessageContaining("cannot patch resource \"leases\"")
        .hasMessageContaining("system:serviceaccount:" + ns + ":a");
    assertThatThrownBy(other::read).hasMessageContaining("HTTP 403").hasMessageContaining("cannot get resource");

    // through the reporter: the refusal is logged and kept in its status, and b's Lease stays as it was
    MemberTls tls = mount(TestPki.leaf(oldCa, "a.array.example"), oldCa);
    try (TrustConfirmations confirmations =
        TrustConfirmations.forMember(other, "member-a-0", POLL, logged::add, tls).start()) {
      await(() -> confirmations.status().failures() >= 1);
      assertThat(confirmations.status().lastError()).contains("HTTP 403").contains("b-trust");
      assertThat(confirmations.status().writes()).isZero();
    }
    assertThat(logged).anyMatch(l -> l.contains("HTTP 403"));
    assertThat(annotations(lease("b-trust"))).isEmpty();
  }

  @Test
  void inAPodTheLeaseIsWrittenWithTheMountedServiceAccountReadingTheTokenAgainForEveryRequest() throws Exception {
    // a ServiceAccount mount as the kubelet makes it, and the variables of a pod
    Path account = Files.createDirectories(dir.resolve("serviceaccount"));
    Files.writeString(account.resolve("token"), tokenOfA + "\n");
    Files.write(account.resolve("ca.crt"), apiCaPem);
    Files.writeString(account.resolve("namespace"), ns);
    Map<String, String> pod = Map.of("KUBERNETES_SERVICE_HOST", apiServer.getHost(),
        "KUBERNETES_SERVICE_PORT", Integer.toString(apiServer.getPort()));
    KubernetesLease lease = KubernetesLease.inCluster("a-trust", pod, account);
    assertThat(lease.describe()).isEqualTo("Lease " + ns + "/a-trust");
    Confirmation confirmation = new Confirmation(List.of(Fingerprints.digest(newCa.certificate())), List.of("2a"));
    lease.write(confirmation, "member-a-2", Instant.now());
    assertThat(lease.read()).isEqualTo(confirmation);

    // the kubelet rotates the token: the next request uses the file's new content
    Files.writeString(account.resolve("token"), "not-a-token");
    assertThatThrownBy(lease::read).isInstanceOfSatisfying(KubernetesLease.LeaseException.class,
        e -> assertThat(e.status()).isEqualTo(401)).hasMessageContaining("HTTP 401");
    Files.writeString(account.resolve("token"), tokenOfA);
    assertThat(lease.read()).isEqualTo(confirmation);
    assertThat(lease("a-trust").path("spec").path("holderIdentity").asText()).isEqualTo("member-a-2");

    // POD_NAMESPACE wins over the mounted namespace
    KubernetesLease elsewhere = KubernetesLease.inCluster("a-trust",
        Map.of("KUBERNETES_SERVICE_HOST", apiServer.getHost(), "KUBERNETES_SERVICE_PORT",
            Integer.toString(apiServer.getPort()), "POD_NAMESPACE", "default"), account);
    assertThat(elsewhere.describe()).isEqualTo("Lease default/a-trust");
    assertThatThrownBy(() -> KubernetesLease.inCluster("a-trust", Map.of(), account))
        .hasMessageContaining("KUBERNETES_SERVICE_HOST");
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not reached within 30 s");
      }
      Thread.sleep(50);
    }
  }
}
