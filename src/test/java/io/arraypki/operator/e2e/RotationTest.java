package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.CaSpec;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.api.RotationReason;
import io.arraypki.operator.api.RotationSpec;
import io.arraypki.operator.k8s.LeafSecrets;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Quiescence;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.SimulatedArray;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** DESIGN.md section 6: a new CA for a new primary, re-signing every member without an outage. */
class RotationTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();
  @TempDir Path dir;

  private final Scenario scenario = new Scenario(operator);

  private KubernetesClient client() {
    return scenario.client();
  }

  private String ns() {
    return scenario.ns();
  }

  private List<String> createArray(String array, int members, String delay, String overlap) {
    return scenario.createArray(array, members, delay, overlap);
  }

  private void setPrimary(String array, String primary) {
    scenario.setPrimary(array, primary);
  }

  private ClusterArrayStatus status(String array) {
    return scenario.status(array);
  }

  private void awaitRotatedTo(String array, long generation, List<String> nodes) {
    Waits.upTo(Duration.ofMinutes(3)).untilAsserted(() -> {
      ClusterArrayStatus s = status(array);
      assertThat(s.ca.generation).isEqualTo(generation);
      assertThat(s.rotation.phase).isEqualTo(RotationPhase.Idle);
      assertThat(s.trustedCAs).hasSize(1);
      for (String node : nodes) {
        Secret secret = Arrays.secret(client(), ns(), node + "-peer-tls");
        assertThat(secret.getMetadata().getAnnotations()).containsEntry("arraypki.io/signed-by-generation",
            Long.toString(generation));
        assertThat(SecretData.text(secret, "ca.crt").orElseThrow())
            .isEqualTo(SecretData.text(Arrays.secret(client(), ns(), array + "-ca"), "ca.crt").orElseThrow());
      }
    });
  }

  @Test
  void aPrimaryChangeReSignsTenMembersWithZeroFailedHandshakes() throws Exception {
    List<String> nodes = createArray("zero", 10, "2s", "3s");
    Map<String, String> hosts = new LinkedHashMap<>();
    nodes.forEach(n -> hosts.put(n, n + ".zero.example.com"));
    String oldCa = SecretData.text(Arrays.secret(client(), ns(), "zero-ca"), "tls.crt").orElseThrow();
    try (SimulatedArray members = new SimulatedArray(client(), ns(), dir.resolve("mounts"), hosts)) {
      Waits.converge().until(() -> members.succeeded() > 100);
      List<Integer> trustedCounts = new CopyOnWriteArrayList<>();
      setPrimary("zero", "zero-5");
      Waits.upTo(Duration.ofMinutes(3)).untilAsserted(() -> {
        ClusterArrayStatus s = status("zero");
        trustedCounts.add(s.trustedCAs.size());
        assertThat(s.ca.generation).isEqualTo(2L);
        assertThat(s.primary).isEqualTo("zero-5");
        assertThat(s.rotation.phase).isEqualTo(RotationPhase.Idle);
      });
      awaitRotatedTo("zero", 2, nodes);
      long before = members.succeeded();
      Waits.converge().until(() -> members.succeeded() > before + 100);
      members.close();
      assertThat(members.failures()).as("failed handshakes during the rotation").isEmpty();
      assertThat(trustedCounts).allMatch(n -> n <= 3);
    }
    ClusterArrayStatus s = status("zero");
    assertThat(s.rotation.reason).isEqualTo(RotationReason.PrimaryChanged);
    assertThat(s.rotation.resigned).isEqualTo(10);
    Path newCa = Files.writeString(dir.resolve("new-ca.crt"),
        SecretData.text(Arrays.secret(client(), ns(), "zero-ca"), "tls.crt").orElseThrow());
    for (String node : nodes) {
      Secret secret = Arrays.secret(client(), ns(), node + "-peer-tls");
      Path leaf = Files.writeString(dir.resolve(node + ".crt"), SecretData.text(secret, "tls.crt").orElseThrow());
      assertThat(Commands.openssl("verify", "-CAfile", newCa.toString(), leaf.toString()).output()).contains(": OK");
      assertThat(SecretData.text(secret, "ca.crt").orElseThrow()).doesNotContain(oldCa.trim());
    }
    assertThat(client().configMaps().inNamespace(ns()).withName("zero-trust").get().getData().get("ca.crt"))
        .doesNotContain(oldCa.trim());
    assertThat(Arrays.secret(client(), ns(), "zero-ca-g1")).as("the old CA's key is deleted").isNull();
    assertThat(Arrays.secret(client(), ns(), "zero-ca-g2")).isNotNull();
  }

  @Test
  void twoPrimaryChangesInQuickSuccessionConvergeToTheLatestWithAtMostThreeCasTrusted() {
    List<String> nodes = createArray("twice", 3, "1s", "1s");
    List<Integer> trustedCounts = new CopyOnWriteArrayList<>();
    setPrimary("twice", "twice-1");
    Waits.upTo(Duration.ofSeconds(30)).until(() -> status("twice").rotation.phase != RotationPhase.Idle);
    setPrimary("twice", "twice-2");
    Waits.upTo(Duration.ofMinutes(3)).untilAsserted(() -> {
      ClusterArrayStatus s = status("twice");
      trustedCounts.add(s.trustedCAs.size());
      assertThat(s.primary).isEqualTo("twice-2");
      assertThat(s.rotation.phase).isEqualTo(RotationPhase.Idle);
      assertThat(s.trustedCAs).hasSize(1);
    });
    long generation = status("twice").ca.generation;
    awaitRotatedTo("twice", generation, nodes);
    assertThat(trustedCounts).allMatch(n -> n <= 3);
    assertThat(client().secrets().inNamespace(ns()).withLabel("arraypki.io/array", "twice")
        .withLabel("arraypki.io/component", "ca").list().getItems())
        .extracting(s -> s.getMetadata().getName())
        .containsExactlyInAnyOrder("twice-ca", "twice-ca-g" + generation);
  }

  @Test
  void theRenewCaAnnotationRotatesOncePerValueWithReasonRequested() {
    List<String> nodes = createArray("asked", 2, "1s", "1s");
    scenario.patch(ClusterArray.class, "asked", "{\"metadata\":{\"annotations\":{\"arraypki.io/renew-ca\":\"2026-11-22\"}}}");
    awaitRotatedTo("asked", 2, nodes);
    ClusterArrayStatus s = status("asked");
    assertThat(s.rotation.reason).isEqualTo(RotationReason.Requested);
    assertThat(s.lastHandledRenewal.ca).isEqualTo("2026-11-22");
    assertThat(s.primary).isEqualTo("asked-0");
    // once: reconciles of the array and its members (forced, and seen to run) write no Secret
    Quiescence.assertNoSecretMovesAcrossForcedReconciles(scenario, "asked", nodes, 2,
        "the Secrets of an array whose renew-ca value was answered");
    assertThat(status("asked").ca.generation).as("the same value acts once").isEqualTo(2L);
    assertThat(Arrays.secret(client(), ns(), "asked-ca-g3")).isNull();
  }

  @Test
  void theRenewCertificatesAnnotationGivesEveryMemberANewKeyOnce() {
    List<String> nodes = createArray("fresh", 3, "1s", "1s");
    Map<String, String> before = new LinkedHashMap<>();
    nodes.forEach(n -> before.put(n, publicKey(Arrays.secret(client(), ns(), n + "-peer-tls"))));
    // every public key each peer Secret held, in the order a watch saw them
    Map<String, List<String>> seen = new java.util.concurrent.ConcurrentHashMap<>();
    try (var watch = client().secrets().inNamespace(ns()).withLabel("arraypki.io/array", "fresh")
        .withLabel("arraypki.io/component", "peer").inform(new ResourceEventHandler<Secret>() {
          @Override
          public void onAdd(Secret s) {
            record(s);
          }

          @Override
          public void onUpdate(Secret old, Secret s) {
            record(s);
          }

          @Override
          public void onDelete(Secret s, boolean unknown) {}

          private void record(Secret s) {
            List<String> keys = seen.computeIfAbsent(s.getMetadata().getLabels().get("arraypki.io/node"),
                k -> new CopyOnWriteArrayList<>());
            String key = publicKey(s);
            if (keys.isEmpty() || !keys.get(keys.size() - 1).equals(key)) {
              keys.add(key);
            }
          }
        })) {
      Waits.converge().until(() -> seen.keySet().containsAll(nodes));
      scenario.patch(ClusterArray.class, "fresh",
          "{\"metadata\":{\"annotations\":{\"arraypki.io/renew-certificates\":\"t1\"}}}");
      Waits.converge().untilAsserted(() -> {
        assertThat(status("fresh").lastHandledRenewal.certificates).isEqualTo("t1");
        for (String n : nodes) {
          Secret peer = Arrays.secret(client(), ns(), n + "-peer-tls");
          assertThat(publicKey(peer)).as(n + ": the public key of its certificate").isNotEqualTo(before.get(n));
          assertThat(LeafSecrets.holdsKeyOf(peer, LeafSecrets.leaf(peer).orElseThrow())).as(n + ": tls.key").isTrue();
        }
      });
      // once: after the renewal was answered, reconciles (forced, and seen to run) write no Secret
      Quiescence.assertNoSecretMovesAcrossForcedReconciles(scenario, "fresh", nodes, 2,
          "the Secrets of an array whose renew-certificates value was answered");
      for (String n : nodes) {
        assertThat(seen.get(n)).as(n + ": the public keys its peer Secret held, in order")
            .containsExactly(before.get(n), publicKey(Arrays.secret(client(), ns(), n + "-peer-tls")));
      }
    }
    assertThat(status("fresh").ca.generation).isEqualTo(1L);
  }

  /** The public key the Secret's certificate certifies (base64 of its SubjectPublicKeyInfo). */
  private static String publicKey(Secret secret) {
    return java.util.Base64.getEncoder().encodeToString(
        LeafSecrets.leaf(secret).orElseThrow().getPublicKey().getEncoded());
  }

  @Test
  void aCaNearItsEndRotatesWithReasonRenewal() {
    ClusterArray a = Arrays.array(ns(), "aging", "aging-0");
    a.getSpec().ca = new CaSpec();
    a.getSpec().ca.duration = "3m";
    a.getSpec().ca.renewBefore = "150s";
    a.getSpec().rotation = new RotationSpec();
    a.getSpec().rotation.trustPropagationDelay = "1s";
    a.getSpec().rotation.overlap = "1s";
    client().resource(a).create();
    client().resource(Arrays.node(ns(), "aging-0", "aging")).create();
    Arrays.awaitArrayReady(client(), ns(), "aging", 1);
    Waits.upTo(Duration.ofSeconds(90)).untilAsserted(() -> {
      ClusterArrayStatus s = status("aging");
      assertThat(s.ca.generation).isGreaterThanOrEqualTo(2L);
      assertThat(s.rotation.reason).isEqualTo(RotationReason.Renewal);
    });
  }
}
