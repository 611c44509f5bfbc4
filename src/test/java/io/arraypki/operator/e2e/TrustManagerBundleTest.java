package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.Crl;
import io.arraypki.operator.support.LocalControlPlane;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.TrustManager;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * trust-manager distributing an array's CA to the namespaces of its clients: the real
 * trust-manager (its Go module's binary and Bundle CRD) with a Bundle whose source is the array's
 * trust ConfigMap (README "trust-manager"), through a CA rotation: the distributed bundle holds
 * the new CA beside the old one before any member is re-signed, and only the new one once the
 * old is retired; openssl verifies the members' certificates against the distributed file.
 */
class TrustManagerBundleTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();
  @TempDir Path dir;

  private final Scenario scenario = new Scenario(operator);

  private Set<String> cas(ConfigMap configMap) {
    if (configMap == null || configMap.getData() == null || configMap.getData().get("ca.crt") == null) {
      return Set.of();
    }
    Set<String> digests = new TreeSet<>();
    Pem.certificates(configMap.getData().get("ca.crt"), "ca.crt").forEach(c -> digests.add(Fingerprints.digest(c)));
    return digests;
  }

  private Set<String> arrayTrust() {
    return cas(scenario.client().configMaps().inNamespace(scenario.ns()).withName("tm-trust").get());
  }

  private String verifyAgainst(ConfigMap distributed, String secret) throws Exception {
    Path bundle = Files.createTempFile(dir, "bundle", ".pem");
    Files.writeString(bundle, distributed.getData().get("ca.crt"));
    Path leaf = Files.createTempFile(dir, "leaf", ".pem");
    Files.writeString(leaf, Crl.leafPem(scenario.secret(secret)));
    return Commands.openssl("verify", "-CAfile", bundle.toString(), leaf.toString()).output();
  }

  @Test
  void aBundleCarriesTheArraysCaToItsClientsNamespacesAndFollowsARotation() throws Exception {
    KubernetesClient client = scenario.client();
    scenario.createArray("tm", 2, "20s", "20s");
    String bundleName = scenario.ns() + "-tm-ca";
    List<String> targets = List.of(scenario.ns() + "-app-a", scenario.ns() + "-app-b");
    String elsewhere = scenario.ns() + "-other";
    for (String namespace : targets) {
      client.resource(new NamespaceBuilder().withNewMetadata().withName(namespace)
          .addToLabels("arraypki.io/trust-from", scenario.ns()).endMetadata().build()).create();
    }
    client.resource(new NamespaceBuilder().withNewMetadata().withName(elsewhere).endMetadata().build()).create();
    List<Set<String>> seen = new CopyOnWriteArrayList<>();
    Watch watch = null;
    try (TrustManager trustManager = TrustManager.start(scenario.ns())) {
      LocalControlPlane.kubectl("""
          apiVersion: trust.cert-manager.io/v1alpha1
          kind: Bundle
          metadata:
            name: %s
          spec:
            sources:
              - configMap: {name: tm-trust, key: ca.crt}
            target:
              configMap: {key: ca.crt}
              namespaceSelector:
                matchLabels: {arraypki.io/trust-from: %s}
          """.formatted(bundleName, scenario.ns()), "apply", "-f", "-").orFail("apply the Bundle");
      watch = client.configMaps().inNamespace(targets.get(0)).withName(bundleName).watch(new Watcher<>() {
        @Override
        public void eventReceived(Action action, ConfigMap configMap) {
          Set<String> now = cas(configMap);
          if (action != Action.DELETED && (seen.isEmpty() || !seen.get(seen.size() - 1).equals(now))) {
            seen.add(now);
          }
        }

        @Override
        public void onClose(WatcherException cause) {}
      });

      Set<String> first = arrayTrust();
      assertThat(first).hasSize(1);
      Waits.upTo(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        assertThat(trustManager.running()).as("trust-manager runs").isTrue();
        for (String namespace : targets) {
          assertThat(cas(client.configMaps().inNamespace(namespace).withName(bundleName).get()))
              .as("the array's CA in %s", namespace).isEqualTo(first);
        }
      });
      assertThat(client.configMaps().inNamespace(elsewhere).withName(bundleName).get())
          .as("not in a namespace the Bundle does not select").isNull();
      ConfigMap distributed = client.configMaps().inNamespace(targets.get(1)).withName(bundleName).get();
      assertThat(verifyAgainst(distributed, "tm-1-peer-tls")).as("openssl verify against the distributed bundle")
          .contains(": OK");
      String oldLeaf = Crl.leafPem(scenario.secret("tm-1-peer-tls"));

      scenario.patch(ClusterArray.class, "tm", "{\"metadata\":{\"annotations\":{\"arraypki.io/renew-ca\":\"tm-1\"}}}");
      Waits.upTo(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        var status = scenario.status("tm");
        assertThat(status.ca.generation).isEqualTo(2L);
        assertThat(status.rotation.phase).isEqualTo(RotationPhase.Idle);
        assertThat(status.trustedCAs).hasSize(1);
        Set<String> last = arrayTrust();
        assertThat(last).hasSize(1).doesNotContainAnyElementsOf(first);
        for (String namespace : targets) {
          assertThat(cas(client.configMaps().inNamespace(namespace).withName(bundleName).get()))
              .as("only the new CA in %s", namespace).isEqualTo(last);
        }
      });
      Set<String> last = arrayTrust();
      Set<String> both = new TreeSet<>(first);
      both.addAll(last);
      assertThat(seen).as("what %s held, in order", targets.get(0)).containsExactly(first, both, last);

      ConfigMap after = client.configMaps().inNamespace(targets.get(1)).withName(bundleName).get();
      assertThat(verifyAgainst(after, "tm-1-peer-tls")).as("the re-signed member verifies").contains(": OK");
      Files.writeString(dir.resolve("old.pem"), oldLeaf);
      Path bundle = Files.writeString(dir.resolve("after.pem"), after.getData().get("ca.crt"));
      assertThat(Commands.openssl("verify", "-CAfile", bundle.toString(), dir.resolve("old.pem").toString()).exitCode())
          .as("the old CA's certificate no longer verifies once it is retired").isNotZero();
    } finally {
      if (watch != null) {
        watch.close();
      }
      LocalControlPlane.kubectl(null, "delete", "bundle", bundleName, "--ignore-not-found");
      for (String namespace : List.of(targets.get(0), targets.get(1), elsewhere)) {
        client.namespaces().withName(namespace).delete();
      }
    }
  }
}
