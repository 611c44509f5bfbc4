package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.LocalControlPlane;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Quiescence;
import io.arraypki.operator.support.Scenario;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Re-applying the same YAML, as GitOps tools do, changes nothing, and a quiet array is written to by no one. */
class GitOpsTest {
  @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();
  private final Scenario scenario = new Scenario(operator);

  static final String YAML = """
      apiVersion: arraypki.io/v1alpha1
      kind: ClusterArray
      metadata: {name: git}
      spec: {primary: git-a, candidates: {poolSize: 2}, sshKeys: {enabled: true}}
      ---
      apiVersion: arraypki.io/v1alpha1
      kind: Node
      metadata: {name: git-a}
      spec: {array: git, peerDNSName: git-a.example.com, serviceAccountName: git-a}
      ---
      apiVersion: arraypki.io/v1alpha1
      kind: Node
      metadata: {name: git-b}
      spec: {array: git, peerDNSName: git-b.example.com}
      ---
      apiVersion: arraypki.io/v1alpha1
      kind: Node
      metadata: {name: git-c}
      spec: {array: git, peerDNSName: git-c.example.com}
      """;

  /** name -> resourceVersion of every object in the namespace the operator reads or writes. */
  private Map<String, String> versions() {
    var c = scenario.client();
    String ns = scenario.ns();
    Map<String, String> versions = new TreeMap<>();
    Stream.of(c.secrets().inNamespace(ns).list().getItems(), c.configMaps().inNamespace(ns).list().getItems(),
            c.resources(io.arraypki.operator.api.ArrayNode.class).inNamespace(ns).list().getItems(),
            c.resources(io.arraypki.operator.api.ClusterArray.class).inNamespace(ns).list().getItems(),
            c.resources(io.arraypki.operator.api.CandidateMap.class).inNamespace(ns).list().getItems(),
            c.rbac().roles().inNamespace(ns).list().getItems(), c.rbac().roleBindings().inNamespace(ns).list().getItems())
        .flatMap(java.util.List::stream)
        .forEach((HasMetadata o) -> versions.put(o.getKind() + "/" + o.getMetadata().getName(),
            o.getMetadata().getResourceVersion()));
    return versions;
  }

  @Test
  void reApplyingTheSameYamlClientAndServerSideReissuesNothingAndAQuietMinuteHasNoWrites() throws Exception {
    LocalControlPlane.kubectl(YAML, "apply", "-n", scenario.ns(), "-f", "-").orFail("apply");
    Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "git", 3);
    // the candidates' client certificates, keys and map come after Ready: wait until nothing moves
    Map<String, String> issued = Quiescence.settled(this::versions, Duration.ofSeconds(10), Duration.ofMinutes(3));
    assertThat(issued).containsKeys("Secret/git-a-peer-tls", "Secret/git-a-client-tls", "Secret/git-a-ssh",
        "ConfigMap/git-trust", "CandidateMap/git", "Role/git-a-arraypki-reader");

    LocalControlPlane.kubectl(YAML, "apply", "-n", scenario.ns(), "-f", "-").orFail("client-side apply");
    LocalControlPlane.kubectl(YAML, "apply", "--server-side", "-n", scenario.ns(), "-f", "-").orFail("server-side apply");
    LocalControlPlane.kubectl(YAML, "apply", "--server-side", "-n", scenario.ns(), "-f", "-").orFail("server-side apply");
    Thread.sleep(5_000);
    Map<String, String> applied = versions();
    assertThat(changes(issued, applied, k -> !k.startsWith("ClusterArray/") && !k.startsWith("Node/")))
        .as("what the operator wrote after the same YAML was applied again (the applies themselves move"
            + " the arrays' and nodes' managed fields)").isEmpty();

    Thread.sleep(Duration.ofSeconds(60).toMillis());
    assertThat(changes(applied, versions(), k -> true)).as("writes during a quiet minute").isEmpty();
  }

  private static Map<String, String> changes(Map<String, String> before, Map<String, String> after,
      java.util.function.Predicate<String> counted) {
    Map<String, String> changed = new TreeMap<>();
    after.forEach((k, v) -> {
      if (counted.test(k) && !v.equals(before.get(k))) {
        changed.put(k, before.get(k) + " -> " + v);
      }
    });
    before.keySet().stream().filter(k -> counted.test(k) && !after.containsKey(k)).forEach(k -> changed.put(k, "deleted"));
    return changed;
  }
}
