package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.CaSpec;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.IssuerRef;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.Crl;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.nio.file.Files;
import java.nio.file.Path;
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

/** Bring your own CA: an organisation's root and intermediate (made here with openssl). */
class ExternalIssuerTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();
  private final Scenario scenario = new Scenario(operator);
  @TempDir static Path pki;
  @TempDir Path dir;

  @BeforeAll
  static void anOrganisationRootAndIntermediate() throws Exception {
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3650",
        "-subj", "/O=Example Corp/CN=Example Root", "-keyout", "root.key", "-out", "root.crt");
    Files.writeString(pki.resolve("ca.ext"), "basicConstraints=critical,CA:TRUE,pathlen:0\n"
        + "keyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
        "/O=Example Corp/CN=Example Array Intermediate", "-keyout", "int.key", "-out", "int.csr");
    openssl("x509", "-req", "-in", "int.csr", "-CA", "root.crt", "-CAkey", "root.key", "-CAcreateserial",
        "-days", "1825", "-extfile", "ca.ext", "-out", "int.crt");
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=not-a-ca",
        "-keyout", "leaf.key", "-out", "leaf.csr");
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "int.crt", "-CAkey", "int.key", "-CAcreateserial",
        "-days", "30", "-out", "leaf.crt");
    Files.writeString(pki.resolve("expired.crt"), expiredIntermediate());
    openssl("x509", "-req", "-in", "int.csr", "-CA", "root.crt", "-CAkey", "root.key", "-CAcreateserial",
        "-days", "30", "-extfile", "ca.ext", "-out", "short.crt");
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3650",
        "-subj", "/O=Example Corp/CN=Example Root 2", "-keyout", "root2.key", "-out", "root2.crt");
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
        "/O=Example Corp/CN=Example Array Intermediate 2", "-keyout", "int2.key", "-out", "int2.csr");
    openssl("x509", "-req", "-in", "int2.csr", "-CA", "root2.crt", "-CAkey", "root2.key", "-CAcreateserial",
        "-days", "1825", "-extfile", "ca.ext", "-out", "int2.crt");
  }

  /** The intermediate's key and name, signed by the root for 2020 only (OpenSSL 3.0 cannot backdate). */
  private static String expiredIntermediate() throws Exception {
    var root = Pem.certificate(file("root.crt"), "root");
    var rootKey = Pem.privateKey(file("root.key"), "root key");
    var intermediate = Pem.certificate(file("int.crt"), "int");
    var builder = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(root, java.math.BigInteger.TEN,
        java.util.Date.from(java.time.Instant.parse("2020-01-01T00:00:00Z")),
        java.util.Date.from(java.time.Instant.parse("2021-01-01T00:00:00Z")),
        intermediate.getSubjectX500Principal(), intermediate.getPublicKey())
        .addExtension(org.bouncycastle.asn1.x509.Extension.basicConstraints, true,
            new org.bouncycastle.asn1.x509.BasicConstraints(0))
        .addExtension(org.bouncycastle.asn1.x509.Extension.keyUsage, true,
            new org.bouncycastle.asn1.x509.KeyUsage(org.bouncycastle.asn1.x509.KeyUsage.keyCertSign));
    var signer = new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
        .setProvider(io.arraypki.operator.pki.Crypto.PROVIDER).build(rootKey);
    return Pem.encode(builder.build(signer));
  }

  private static void openssl(String... args) {
    List<String> command = new java.util.ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Commands.Result r = Commands.runIn(pki, command, null, java.util.Map.of(), 60);
    if (r.exitCode() != 0) {
      throw new AssertionError("openssl " + String.join(" ", args) + ":\n" + r.output());
    }
  }

  private static String file(String name) {
    try {
      return Files.readString(pki.resolve(name));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private Secret issuerSecret(String name, String crt, String key, String ca) {
    SecretBuilder b = new SecretBuilder().withNewMetadata().withName(name).endMetadata();
    if (crt != null) {
      b.addToStringData("tls.crt", crt);
    }
    if (key != null) {
      b.addToStringData("tls.key", key);
    }
    if (ca != null) {
      b.addToStringData("ca.crt", ca);
    }
    return b.build();
  }

  private ClusterArray arrayWithIssuer(String name, String issuerSecret) {
    return Arrays.arrayWithIssuer(scenario.ns(), name, issuerSecret);
  }

  @Test
  void membersChainThroughTheIntermediateToTheOrganisationsRootAndVerifyWithOpenssl() throws Exception {
    scenario.client().resource(issuerSecret("corp-intermediate", file("int.crt"), file("int.key"), file("root.crt")))
        .inNamespace(scenario.ns()).create();
    scenario.client().resource(arrayWithIssuer("corp", "corp-intermediate")).create();
    for (int i = 0; i < 2; i++) {
      scenario.client().resource(Arrays.node(scenario.ns(), "corp-" + i, "corp")).create();
    }
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "corp", 2);
    Path root = pki.resolve("root.crt");
    for (int i = 0; i < 2; i++) {
      Secret peer = scenario.secret("corp-" + i + "-peer-tls");
      var chain = Pem.certificates(Crl.leafPem(peer), "tls.crt");
      assertThat(chain).hasSize(2);
      assertThat(chain.get(1).getSubjectX500Principal().getName()).contains("Example Array Intermediate");
      assertThat(SecretData.text(peer, "ca.crt").orElseThrow().trim()).isEqualTo(file("root.crt").trim());
      Path leaf = Files.writeString(dir.resolve("leaf.crt"), Pem.encode(chain.get(0)));
      Path untrusted = Files.writeString(dir.resolve("chain.crt"), Pem.encode(chain.get(1)));
      assertThat(Commands.openssl("verify", "-CAfile", root.toString(), "-untrusted", untrusted.toString(),
          leaf.toString()).output()).contains(": OK");
    }
    assertThat(io.arraypki.operator.support.MemberTls.handshake(scenario.secret("corp-0-peer-tls"),
        scenario.secret("corp-1-peer-tls"), "corp-0.corp.example.com")).isNull();
    assertThat(scenario.status("corp").ca.fingerprint).isNotNull();

    // A new primary keeps the brought CA: nothing to rotate.
    scenario.setPrimary("corp", "corp-1");
    Waits.converge().untilAsserted(() -> assertThat(scenario.status("corp").primary).isEqualTo("corp-1"));
    assertThat(scenario.status("corp").ca.generation).isEqualTo(1L);
    assertThat(scenario.status("corp").rotation.phase.name()).isEqualTo("Idle");

    // Garbage in the issuer Secret: a condition, and what was issued stays.
    String before = Crl.leafPem(scenario.secret("corp-0-peer-tls"));
    scenario.client().secrets().inNamespace(scenario.ns()).withName("corp-intermediate")
        .patch("{\"stringData\":{\"tls.crt\":\"-----BEGIN CERTIFICATE-----\\nnot base64!\\n-----END CERTIFICATE-----\\n\"}}");
    Waits.converge().untilAsserted(() -> {
      var degraded = Conditions.find(scenario.status("corp").conditions, "Degraded").orElseThrow();
      assertThat(degraded.getReason()).isEqualTo("IssuerInvalid");
    });
    assertThat(Crl.leafPem(scenario.secret("corp-0-peer-tls"))).isEqualTo(before);
  }

  @Test
  void anIssuerEndingBeforeALeafWouldCutsLeavesToItsEndWithAWarning() {
    scenario.client().resource(issuerSecret("short-issuer", file("short.crt"), file("int.key"), file("root.crt")))
        .inNamespace(scenario.ns()).create();
    scenario.client().resource(arrayWithIssuer("short", "short-issuer")).create();
    scenario.client().resource(Arrays.node(scenario.ns(), "short-0", "short")).create();
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "short", 1);
    var leaf = Pem.certificate(Crl.leafPem(scenario.secret("short-0-peer-tls")), "leaf");
    var issuer = Pem.certificate(file("short.crt"), "issuer");
    assertThat(leaf.getNotAfter()).isEqualTo(issuer.getNotAfter());
    assertThat(scenario.client().v1().events().inNamespace(scenario.ns()).list().getItems())
        .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("IssuerEndsEarly"));
  }

  @Test
  void changingTheIssuerSecretRotatesTrustingBothRootsUntilEveryMemberMoved() throws Exception {
    scenario.client().resource(issuerSecret("moving-issuer", file("int.crt"), file("int.key"), file("root.crt")))
        .inNamespace(scenario.ns()).create();
    ClusterArray array = arrayWithIssuer("moving", "moving-issuer");
    array.getSpec().rotation = new io.arraypki.operator.api.RotationSpec();
    array.getSpec().rotation.trustPropagationDelay = "2s";
    array.getSpec().rotation.overlap = "2s";
    scenario.client().resource(array).create();
    for (int i = 0; i < 2; i++) {
      scenario.client().resource(Arrays.node(scenario.ns(), "moving-" + i, "moving")).create();
    }
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "moving", 2);
    // every state of the members' Secrets and of the trust ConfigMap, in the API server's order
    try (TrustWatch watch = new TrustWatch("moving", List.of("moving-0", "moving-1"))) {
      Waits.converge().until(watch::sawEveryMember);
      scenario.client().resource(issuerSecret("moving-issuer", file("int2.crt"), file("int2.key"), file("root2.crt")))
          .inNamespace(scenario.ns()).update();
      Waits.upTo(java.time.Duration.ofMinutes(2)).untilAsserted(() -> {
        var s = scenario.status("moving");
        assertThat(s.ca.generation).isEqualTo(2L);
        assertThat(s.rotation.phase.name()).isEqualTo("Idle");
        for (String member : List.of("moving-0", "moving-1")) {
          assertThat(SecretData.text(scenario.secret(member + "-peer-tls"), "ca.crt").orElseThrow().trim())
              .isEqualTo(file("root2.crt").trim());
          assertThat(watch.rootOf(scenario.secret(member + "-peer-tls"))).isEqualTo("root2");
        }
      });
      assertThat(watch.violations()).as("states in which a member served a leaf that a peer's bundle did not trust")
          .isEmpty();
      assertThat(watch.memberBundlesWithBothRoots()).as("member Secrets whose ca.crt held both roots at once")
          .containsExactlyInAnyOrder("moving-0", "moving-1");
      assertThat(watch.configMapHeldBothRoots()).as("the trust ConfigMap's ca.crt held both roots at once").isTrue();
      assertThat(watch.leafRootsSeen()).as("the roots members' leaves chained to, in order")
          .containsEntry("moving-0", List.of("root", "root2")).containsEntry("moving-1", List.of("root", "root2"));
    }
    Waits.upTo(java.time.Duration.ofMinutes(2)).untilAsserted(() -> {
      var s = scenario.status("moving");
      assertThat(s.ca.generation).isEqualTo(2L);
      assertThat(s.rotation.reason.name()).isEqualTo("IssuerChanged");
      assertThat(s.rotation.phase.name()).isEqualTo("Idle");
      assertThat(SecretData.text(scenario.secret("moving-1-peer-tls"), "ca.crt").orElseThrow().trim())
          .isEqualTo(file("root2.crt").trim());
    });
    Path leaf = Files.writeString(dir.resolve("moved.crt"), Pem.encode(
        Pem.certificates(Crl.leafPem(scenario.secret("moving-1-peer-tls")), "chain").get(0)));
    Path chain = Files.writeString(dir.resolve("chain2.crt"), file("int2.crt"));
    assertThat(Commands.openssl("verify", "-CAfile", pki.resolve("root2.crt").toString(), "-untrusted",
        chain.toString(), leaf.toString()).output()).contains(": OK");
  }

  /**
   * Watches an array's peer Secrets and trust ConfigMap during a change of issuer; after every
   * event (one informer thread: the API server's order) checks that each member's leaf chains
   * (by its intermediate) to a root that every other member's ca.crt holds, and notes which
   * bundles held both roots at once.
   */
  private final class TrustWatch implements AutoCloseable {
    private final List<String> members;
    private final Map<String, Secret> current = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<String> violations = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.Set<String> bothInMembers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Map<String, List<String>> leafRoots = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean bothInConfigMap;
    private final io.fabric8.kubernetes.client.informers.SharedIndexInformer<Secret> secrets;
    private final io.fabric8.kubernetes.client.informers.SharedIndexInformer<io.fabric8.kubernetes.api.model.ConfigMap> trust;

    TrustWatch(String array, List<String> members) {
      this.members = members;
      secrets = scenario.client().secrets().inNamespace(scenario.ns()).withLabel("arraypki.io/array", array)
          .withLabel("arraypki.io/component", "peer").inform(handler(this::onSecret));
      trust = scenario.client().configMaps().inNamespace(scenario.ns()).withName(array + "-trust")
          .inform(handler(cm -> {
            String bundle = cm.getData() == null ? "" : cm.getData().getOrDefault("ca.crt", "");
            if (holdsBoth(bundle)) {
              bothInConfigMap = true;
            }
          }));
    }

    private <T> io.fabric8.kubernetes.client.informers.ResourceEventHandler<T> handler(java.util.function.Consumer<T> on) {
      return new io.fabric8.kubernetes.client.informers.ResourceEventHandler<>() {
        @Override
        public void onAdd(T t) {
          on.accept(t);
        }

        @Override
        public void onUpdate(T old, T t) {
          on.accept(t);
        }

        @Override
        public void onDelete(T t, boolean unknown) {}
      };
    }

    private synchronized void onSecret(Secret secret) {
      String member = secret.getMetadata().getLabels().get("arraypki.io/node");
      current.put(member, secret);
      String root = rootOf(secret);
      List<String> roots = leafRoots.computeIfAbsent(member, k -> new java.util.concurrent.CopyOnWriteArrayList<>());
      if (roots.isEmpty() || !roots.get(roots.size() - 1).equals(root)) {
        roots.add(root);
      }
      String bundle = SecretData.text(secret, "ca.crt").orElse("");
      if (holdsBoth(bundle)) {
        bothInMembers.add(member);
      }
      for (var served : current.entrySet()) {
        String servedRoot = rootOf(served.getValue());
        for (var peer : current.entrySet()) {
          if (!peer.getKey().equals(served.getKey())
              && !SecretData.text(peer.getValue(), "ca.crt").orElse("").contains(file(servedRoot + ".crt").trim())) {
            violations.add(served.getKey() + " served a leaf of " + servedRoot + " while " + peer.getKey()
                + "'s ca.crt lacked it (after the event of " + member + " at resourceVersion "
                + secret.getMetadata().getResourceVersion() + ")");
          }
        }
      }
    }

    /** "root" or "root2": the root the Secret's leaf chains to, by the intermediate that issued it. */
    String rootOf(Secret secret) {
      var leaf = Pem.certificates(Crl.leafPem(secret), "chain").get(0);
      for (String n : List.of("", "2")) {
        if (leaf.getIssuerX500Principal().equals(Pem.certificate(file("int" + n + ".crt"), "int").getSubjectX500Principal())) {
          return "root" + n;
        }
      }
      throw new AssertionError("a leaf issued by neither intermediate: " + leaf.getIssuerX500Principal());
    }

    private boolean holdsBoth(String bundle) {
      return bundle.contains(file("root.crt").trim()) && bundle.contains(file("root2.crt").trim());
    }

    boolean sawEveryMember() {
      return current.keySet().containsAll(members) && trust.hasSynced();
    }

    List<String> violations() {
      return List.copyOf(violations);
    }

    java.util.Set<String> memberBundlesWithBothRoots() {
      return java.util.Set.copyOf(bothInMembers);
    }

    boolean configMapHeldBothRoots() {
      return bothInConfigMap;
    }

    Map<String, List<String>> leafRootsSeen() {
      return Map.copyOf(leafRoots);
    }

    @Override
    public void close() {
      secrets.close();
      trust.close();
    }
  }

  static Stream<Arguments> badIssuers() {
    return Stream.of(
        Arguments.of("not-a-ca", "leaf.crt", "leaf.key", "root.crt", "not a CA certificate"),
        Arguments.of("wrong-key", "int.crt", "leaf.key", "root.crt", "tls.key is not the key"),
        Arguments.of("expired", "expired.crt", "int.key", "root.crt", "expired"),
        Arguments.of("garbage", null, "int.key", "root.crt", "tls.crt"),
        Arguments.of("missing", "int.crt", null, null, "has no tls.key, ca.crt"),
        Arguments.of("other-root", "int.crt", "int.key", "int.crt", "does not reach ca.crt"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badIssuers")
  void aBadIssuerIsNamedInTheDegradedConditionAndNothingIsIssued(String name, String crt, String key, String ca,
      String problem) {
    String crtText = crt == null ? "-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n" : file(crt);
    scenario.client().resource(issuerSecret(name + "-issuer", crtText, key == null ? null : file(key),
        ca == null ? null : file(ca))).inNamespace(scenario.ns()).create();
    scenario.client().resource(arrayWithIssuer(name, name + "-issuer")).create();
    scenario.client().resource(Arrays.node(scenario.ns(), name + "-0", name)).create();
    Waits.converge().untilAsserted(() -> {
      var degraded = Conditions.find(scenario.status(name).conditions, "Degraded").orElseThrow();
      assertThat(degraded.getStatus()).isEqualTo("True");
      assertThat(degraded.getReason()).isEqualTo("IssuerInvalid");
      assertThat(degraded.getMessage()).contains(problem).doesNotContain("PRIVATE KEY");
    });
    assertThat(scenario.secret(name + "-ca")).isNull();
    assertThat(scenario.secret(name + "-0-peer-tls")).isNull();
  }
}
