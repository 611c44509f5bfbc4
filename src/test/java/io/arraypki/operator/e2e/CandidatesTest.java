package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.CandidateEntry;
import io.arraypki.operator.api.CandidateMap;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.NodeRole;
import io.arraypki.operator.api.SshKeysSpec;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.Crl;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.arraypki.operator.trust.MemberTls;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** DESIGN.md section 4: who holds privileged material, the candidate map, verify, the member library. */
class CandidatesTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();
  private final Scenario scenario = new Scenario(operator);
  @TempDir Path dir;

  private List<String> mapNodes(String array) {
    CandidateMap map = scenario.client().resources(CandidateMap.class).inNamespace(scenario.ns()).withName(array).get();
    return map == null ? List.of() : map.getSpec().entries.stream().map(e -> e.node).toList();
  }

  private void awaitCandidates(String array, List<String> candidates, List<String> normal) {
    Waits.converge().untilAsserted(() -> {
      assertThat(scenario.status(array).candidates).containsExactlyElementsOf(candidates);
      assertThat(mapNodes(array)).containsExactlyElementsOf(candidates);
      for (String c : candidates) {
        assertThat(scenario.secret(c + "-client-tls")).as(c + " holds a client certificate").isNotNull();
      }
      for (String n : normal) {
        assertThat(scenario.secret(n + "-client-tls")).as(n + " holds no client certificate").isNull();
      }
    });
  }

  @Test
  void promotionDemotionOfflineOnlineAndAutoPromotionDecideWhoHoldsClientCertificates() {
    scenario.createArray("pool", 5, "1s", "1s");
    awaitCandidates("pool", List.of("pool-0", "pool-1", "pool-2"), List.of("pool-3", "pool-4"));
    CandidateMap map = scenario.client().resources(CandidateMap.class).inNamespace(scenario.ns()).withName("pool").get();
    for (CandidateEntry entry : map.getSpec().entries) {
      X509Certificate cert = Pem.certificate(Crl.leafPem(scenario.secret(entry.node + "-client-tls")), "client");
      assertThat(entry.certificateDigest).isEqualTo(Fingerprints.digest(cert));
      assertThat(entry.nodeUID).isEqualTo(Arrays.get(scenario.client(), scenario.ns(), entry.node).getMetadata().getUid());
    }
    assertThat(map.getSpec().entries.get(0).role).isEqualTo(NodeRole.Primary);
    ConfigMap trust = scenario.client().configMaps().inNamespace(scenario.ns()).withName("pool-trust").get();
    assertThat(trust.getData().get("candidate-map.json")).contains(map.getSpec().entries.get(1).certificateDigest);

    Secret pool1Client = scenario.secret("pool-1-client-tls");
    scenario.patch(ArrayNode.class, "pool-1", "{\"spec\":{\"offline\":true}}");
    awaitCandidates("pool", List.of("pool-0", "pool-2", "pool-3"), List.of("pool-1", "pool-4"));
    assertThat(Crl.verify(dir, scenario.client().configMaps().inNamespace(scenario.ns()).withName("pool-trust").get(),
        Crl.leafPem(pool1Client))).contains("certificate revoked");

    // online again, pool-1 is no candidate: the pool is full, and pool-3 keeps the place it took
    scenario.patch(ArrayNode.class, "pool-1", "{\"spec\":{\"offline\":false}}");
    Waits.converge().untilAsserted(() -> assertThat(Arrays.get(scenario.client(), scenario.ns(), "pool-1")
        .getStatus().peerCertificate).isNotNull());
    awaitCandidates("pool", List.of("pool-0", "pool-2", "pool-3"), List.of("pool-1", "pool-4"));

    // asking to be a candidate takes a place: the current candidates keep theirs in name order
    Secret pool3Client = scenario.secret("pool-3-client-tls");
    scenario.patch(ArrayNode.class, "pool-4", "{\"spec\":{\"masterCandidate\":true}}");
    awaitCandidates("pool", List.of("pool-0", "pool-2", "pool-4"), List.of("pool-1", "pool-3"));
    assertThat(Arrays.get(scenario.client(), scenario.ns(), "pool-3").getStatus().role).isEqualTo(NodeRole.Normal);
    assertThat(Arrays.get(scenario.client(), scenario.ns(), "pool-4").getStatus().role).isEqualTo(NodeRole.Candidate);
    assertThat(Crl.verify(dir, scenario.client().configMaps().inNamespace(scenario.ns()).withName("pool-trust").get(),
        Crl.leafPem(pool3Client))).contains("certificate revoked");
  }

  @Test
  void aClientCertificateNamesItsNodeAndIsForClientAuthOnly() throws Exception {
    scenario.createArray("ids", 1, "1s", "1s");
    Waits.converge().until(() -> scenario.secret("ids-0-client-tls") != null);
    Path leaf = Files.writeString(dir.resolve("client.crt"), Crl.leafPem(scenario.secret("ids-0-client-tls")));
    String text = Commands.openssl("x509", "-in", leaf.toString(), "-noout", "-text").output();
    assertThat(text).contains("Subject: CN = ids-0.ids.example.com")
        .contains("URI:arraypki://" + scenario.ns() + "/ids/ids-0")
        .contains("TLS Web Client Authentication")
        .doesNotContain("TLS Web Server Authentication");
  }

  @Test
  void aPrivilegedServerOnTheMemberLibraryAcceptsOnlyCandidatesAndFollowsTheMountedFiles() throws Exception {
    scenario.createArray("rpc", 4, "1s", "1s");
    awaitCandidates("rpc", List.of("rpc-0", "rpc-1", "rpc-2"), List.of("rpc-3"));
    Path server = mount("server", scenario.secret("rpc-0-peer-tls"));
    Path trust = dir.resolve("trust");
    mountTrust(trust);
    SSLContext privileged = MemberTls.sslContext(server, trust, true);
    Secret rpc1Client = scenario.secret("rpc-1-client-tls");
    Path candidate = mount("candidate", rpc1Client);
    Path normal = mount("normal", scenario.secret("rpc-3-peer-tls"));

    assertThat(call(privileged, candidate)).as("a candidate's client certificate").isNull();
    assertThat(call(privileged, normal)).as("a normal node's peer certificate").contains("not in the candidate map");

    scenario.patch(ArrayNode.class, "rpc-3", "{\"spec\":{\"masterCandidate\":true}}");
    scenario.patch(ArrayNode.class, "rpc-1", "{\"spec\":{\"masterCapable\":false}}");
    awaitCandidates("rpc", List.of("rpc-0", "rpc-2", "rpc-3"), List.of("rpc-1"));
    assertThat(call(privileged, candidate)).as("still allowed until the mounted files change").isNull();
    mountTrust(trust);
    assertThat(call(privileged, candidate)).as("demoted and revoked, once the files change")
        .containsAnyOf("revoked", "not in the candidate map");
    SSLContext peers = MemberTls.sslContext(server, trust, false);
    assertThat(call(peers, candidate)).as("revoked even for non-privileged calls").contains("revoked");
    assertThat(call(privileged, mount("promoted", scenario.secret("rpc-3-client-tls")))).isNull();
  }

  @Test
  void editsToTheMapAndPlantedClientMaterialAreReportedAndRepaired() {
    scenario.createArray("tamper", 4, "1s", "1s");
    awaitCandidates("tamper", List.of("tamper-0", "tamper-1", "tamper-2"), List.of("tamper-3"));
    List<String> good = mapNodes("tamper");
    String wrong = "sha256:" + "00".repeat(32);
    scenario.patch(CandidateMap.class, "tamper", "{\"spec\":{\"entries\":[{\"node\":\"tamper-0\",\"certificateDigest\":\""
        + wrong + "\"},{\"node\":\"tamper-3\",\"certificateDigest\":\"" + wrong + "\"}]}}");
    Waits.converge().untilAsserted(() -> {
      assertThat(mapNodes("tamper")).containsExactlyElementsOf(good);
      assertThat(warnings()).anySatisfy(m -> assertThat(m).contains("DigestMismatch").contains("NotACandidate"));
    });
    if (OperatorUnderTest.deployed()) {
      assertThat(io.arraypki.operator.support.OperatorMetricsScrape.find(
          io.arraypki.operator.support.OperatorMetricsScrape.scrape(), "arraypki_verify_problems_total",
          java.util.Map.of("namespace", scenario.ns(), "array", "tamper", "problem", "DigestMismatch")))
          .as("counted on the leader's /metrics").singleElement()
          .satisfies(sample -> assertThat(sample.value()).isGreaterThanOrEqualTo(1));
    } else {
      assertThat(OperatorUnderTest.METRICS.find("arraypki_verify_problems").tag("array", "tamper")
          .tag("problem", "DigestMismatch").counter().count()).isGreaterThanOrEqualTo(1);
    }

    Secret planted = new SecretBuilder(scenario.secret("tamper-0-client-tls")).editMetadata()
        .withName("tamper-3-client-tls").withResourceVersion(null).withUid(null).withOwnerReferences(List.of())
        .addToLabels("arraypki.io/node", "tamper-3").endMetadata().build();
    scenario.client().resource(planted).create();
    Waits.converge().untilAsserted(() -> {
      assertThat(scenario.secret("tamper-3-client-tls")).isNull();
      assertThat(warnings()).anySatisfy(m -> assertThat(m).contains("ClientCertificateOnNormalNode"));
    });
    Waits.converge().untilAsserted(() -> assertThat(
        io.arraypki.operator.k8s.Conditions.isTrue(scenario.status("tamper").conditions, "Verified")).isTrue());
  }

  @Test
  void sshKeysGoToCandidatesOnlyAndAuthorizedKeysListsExactlyThem() throws Exception {
    ClusterArray array = Arrays.array(scenario.ns(), "ssh", "ssh-0");
    array.getSpec().sshKeys = new SshKeysSpec();
    array.getSpec().sshKeys.enabled = true;
    array.getSpec().candidates = new io.arraypki.operator.api.CandidatesSpec();
    array.getSpec().candidates.poolSize = 2;
    scenario.client().resource(array).create();
    for (int i = 0; i < 3; i++) {
      scenario.client().resource(Arrays.node(scenario.ns(), "ssh-" + i, "ssh")).create();
    }
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "ssh", 3);
    Waits.converge().untilAsserted(() -> {
      assertThat(scenario.secret("ssh-0-ssh")).isNotNull();
      assertThat(scenario.secret("ssh-1-ssh")).isNotNull();
      assertThat(scenario.secret("ssh-2-ssh")).isNull();
      String authorized = scenario.client().configMaps().inNamespace(scenario.ns()).withName("ssh-trust").get()
          .getData().get("authorized_keys");
      assertThat(authorized.lines()).hasSize(2);
      assertThat(authorized).contains("ssh-0@ssh").contains("ssh-1@ssh");
    });
    Path key = Files.writeString(dir.resolve("id_ed25519"),
        SecretData.text(scenario.secret("ssh-0-ssh"), "id_ed25519").orElseThrow());
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    Path pub = Files.writeString(dir.resolve("id_ed25519.pub"),
        SecretData.text(scenario.secret("ssh-0-ssh"), "id_ed25519.pub").orElseThrow());
    assertThat(Commands.run("ssh-keygen", "-l", "-f", pub.toString()).orFail("ssh-keygen").output()).contains("ED25519");
    assertThat(Commands.run("ssh-keygen", "-y", "-f", key.toString()).orFail("ssh-keygen -y").output().trim())
        .isEqualTo(Files.readString(pub).trim().substring(0, Files.readString(pub).trim().lastIndexOf(' ')));

    scenario.patch(ArrayNode.class, "ssh-1", "{\"spec\":{\"offline\":true}}");
    Waits.converge().untilAsserted(() -> {
      assertThat(scenario.secret("ssh-1-ssh")).isNull();
      String authorized = scenario.client().configMaps().inNamespace(scenario.ns()).withName("ssh-trust").get()
          .getData().get("authorized_keys");
      assertThat(authorized).doesNotContain("ssh-1@ssh").contains("ssh-2@ssh");
    });
  }

  @Test
  void serviceAccountsMayGetExactlyTheirNodesMaterialAndLoseWhatTheirNodeLosesOrAllOfItWithoutTheirNode() {
    ClusterArray array = Arrays.array(scenario.ns(), "acl", "acl-0");
    array.getSpec().candidates = new io.arraypki.operator.api.CandidatesSpec();
    array.getSpec().candidates.poolSize = 2;
    scenario.client().resource(array).create();
    for (int i = 0; i < 3; i++) {
      ArrayNode node = Arrays.node(scenario.ns(), "acl-" + i, "acl");
      node.getSpec().serviceAccountName = "acl-" + i;
      scenario.client().resource(node).create();
    }
    awaitCandidates("acl", List.of("acl-0", "acl-1"), List.of("acl-2"));
    Waits.converge().untilAsserted(() -> {
      assertThat(may("acl-1", "get", "secrets", "acl-1-peer-tls")).isTrue();
      assertThat(may("acl-1", "get", "secrets", "acl-1-client-tls")).isTrue();
      assertThat(may("acl-0", "get", "secrets", "acl-ca")).isTrue();
    });
    assertThat(may("acl-1", "get", "configmaps", "acl-trust")).isTrue();
    assertThat(may("acl-1", "get", "secrets", "acl-2-peer-tls")).as("another node's Secret").isFalse();
    assertThat(may("acl-1", "get", "secrets", "acl-ca")).as("the CA, not being primary").isFalse();
    assertThat(may("acl-1", "list", "secrets", null)).as("listing Secrets").isFalse();
    assertThat(may("acl-2", "get", "secrets", "acl-2-client-tls")).as("a normal node's client Secret").isFalse();

    scenario.patch(ArrayNode.class, "acl-1", "{\"spec\":{\"masterCapable\":false}}");
    awaitCandidates("acl", List.of("acl-0", "acl-2"), List.of("acl-1"));
    Waits.converge().untilAsserted(() -> {
      assertThat(may("acl-1", "get", "secrets", "acl-1-client-tls")).as("after demotion").isFalse();
      assertThat(may("acl-2", "get", "secrets", "acl-2-client-tls")).as("after promotion").isTrue();
    });
    assertThat(may("acl-1", "get", "secrets", "acl-1-peer-tls")).isTrue();

    scenario.patch(ArrayNode.class, "acl-1", "{\"spec\":{\"serviceAccountName\":null}}");
    Waits.converge().untilAsserted(() -> {
      assertThat(may("acl-1", "get", "secrets", "acl-1-peer-tls")).as("after serviceAccountName was removed").isFalse();
      assertThat(scenario.client().rbac().roles().inNamespace(scenario.ns()).withName("acl-1-arraypki-reader").get())
          .isNull();
      assertThat(scenario.client().rbac().roleBindings().inNamespace(scenario.ns()).withName("acl-1-arraypki-reader")
          .get()).isNull();
    });
  }

  /** The real API server's RBAC decision for a ServiceAccount of the test namespace. */
  private boolean may(String serviceAccount, String verb, String resource, String name) {
    var review = new io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder()
        .withNewSpec()
        .withUser("system:serviceaccount:" + scenario.ns() + ":" + serviceAccount)
        .withGroups("system:serviceaccounts", "system:serviceaccounts:" + scenario.ns(), "system:authenticated")
        .withNewResourceAttributes().withNamespace(scenario.ns()).withVerb(verb).withResource(resource)
        .withName(name).endResourceAttributes()
        .endSpec().build();
    return scenario.client().authorization().v1().subjectAccessReview().create(review).getStatus().getAllowed();
  }

  private List<String> warnings() {
    return scenario.client().v1().events().inNamespace(scenario.ns()).list().getItems().stream()
        .filter(e -> "VerifyFailed".equals(e.getReason())).map(e -> e.getMessage()).toList();
  }

  private Path mount(String name, Secret secret) throws Exception {
    Path d = Files.createDirectories(dir.resolve(name));
    for (String key : List.of("tls.crt", "tls.key", "ca.crt")) {
      Files.writeString(d.resolve(key), SecretData.text(secret, key).orElseThrow());
    }
    return d;
  }

  private void mountTrust(Path d) throws Exception {
    Files.createDirectories(d);
    ConfigMap trust = scenario.client().configMaps().inNamespace(scenario.ns()).withName("rpc-trust").get();
    for (String key : List.of("ca.crt", "crl.pem", "candidate-map.json")) {
      Files.writeString(d.resolve(key), trust.getData().get(key));
    }
  }

  /** One privileged call: null if the server accepted the client, else why not. */
  private static String call(SSLContext serverContext, Path client) throws Exception {
    SSLContext clientContext = MemberTls.sslContext(client, client, false);
    try (SSLServerSocket listener = (SSLServerSocket) serverContext.getServerSocketFactory()
        .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      listener.setNeedClientAuth(true);
      CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> {
        try (SSLSocket s = (SSLSocket) listener.accept()) {
          s.setSoTimeout(5_000);
          s.startHandshake();
          s.getOutputStream().write(1);
          return null;
        } catch (Exception e) {
          return String.valueOf(e.getMessage()) + (e.getCause() == null ? "" : " " + e.getCause().getMessage());
        }
      });
      try (Socket raw = new Socket()) {
        raw.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()), 5_000);
        raw.setSoTimeout(5_000);
        try (SSLSocket s = (SSLSocket) clientContext.getSocketFactory().createSocket(raw, "localhost",
            listener.getLocalPort(), true)) {
          s.startHandshake();
          InputStream in = s.getInputStream();
          in.read();
        }
      } catch (Exception e) {
        // the server says why it refused
      }
      return served.get(10, TimeUnit.SECONDS);
    }
  }
}
