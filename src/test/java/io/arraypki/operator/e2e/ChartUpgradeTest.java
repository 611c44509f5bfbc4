package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.ops.cli.CrdCheck;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.Helm;
import io.arraypki.operator.support.LocalControlPlane;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * helm upgrade from chart 0.1.0, the last whose CRDs lay in the chart's crds/ folder (which Helm
 * installs once and never upgrades), to this chart, whose CRDs are templates. 0.1.0 is kept as the
 * package a user would have (e2e/fixtures/arraypki-operator-0.1.0.tgz, the chart as it was before
 * the renewal windows: its CRDs know no spec.renewal). The CRDs are the cluster's, shared by the
 * whole suite: this test runs in the in-process phase, where test classes run one at a time, and
 * puts the suite's CRDs back (as e2e/local-cluster.sh applies them) whatever happens. With 0.1.0's
 * CRDs this operator cannot write an array's status at all (server-side apply refuses
 * status.renewal, "field not declared in schema"), which is why the CRDs must follow the chart: the
 * array is made first, and needs no write while the old CRDs are in place.
 */
@Tag(OperatorUnderTest.INSTALLS_OPERATOR)
class ChartUpgradeTest {
  @RegisterExtension static LocallyRunOperatorExtension operator = OperatorUnderTest.inProcess();
  @TempDir Path dir;

  private static final String ARRAY = """
      apiVersion: arraypki.io/v1alpha1
      kind: ClusterArray
      metadata: {name: sgd}
      spec: {primary: node-a}
      ---
      apiVersion: arraypki.io/v1alpha1
      kind: Node
      metadata: {name: node-a}
      spec: {array: sgd, peerDNSName: node-a.sgd.example.com, masterCandidate: true}
      ---
      apiVersion: arraypki.io/v1alpha1
      kind: Node
      metadata: {name: node-b}
      spec: {array: sgd, peerDNSName: node-b.sgd.example.com}
      """;

  private static final String WITH_A_WINDOW = """
      apiVersion: arraypki.io/v1alpha1
      kind: ClusterArray
      metadata: {name: sgd}
      spec:
        primary: node-a
        renewal:
          windows: [{cron: "0 3 * * TUE", timezone: UTC, windowDuration: 3h}]
      """;

  @Test
  void helmUpgradeFromTheLastChartWithACrdsFolderUpgradesTheCrdsKeepsThemOnUninstallAndTheArrayWorksThrough()
      throws Exception {
    KubernetesClient client = operator.getKubernetesClient();
    String ns = operator.getNamespace();
    String release = "upgrade-" + UUID.randomUUID().toString().substring(0, 8);
    String releaseNs = release + "-ns";
    Path previous = Commands.projectDir().resolve("e2e/fixtures/arraypki-operator-0.1.0.tgz");
    try {
      // an array, issued by this operator
      LocalControlPlane.kubectl(ARRAY, "apply", "-n", ns, "-f", "-").orFail("kubectl apply");
      Arrays.awaitArrayReady(client, ns, "sgd", 2);
      Map<String, String> secretsBefore = secretVersions(client, ns);

      // the cluster as a release of 0.1.0 leaves it, whatever chart was upgraded since: 0.1.0's
      // CRDs (Helm installs a crds/ folder once and never again) and its release (replicas 0: the
      // operator of this test runs in the test JVM; the chart's image is out of this machine's reach)
      Commands.run("tar", "-xzf", previous.toString(), "-C", dir.toString()).orFail("tar");
      applyCrds(dir.resolve("arraypki-operator/crds"));
      Helm.run("install", release, previous.toString(), "--namespace", releaseNs, "--create-namespace",
          "--set", "replicas=0").orFail("helm install 0.1.0");
      var stale = CrdCheck.compare(CrdCheck.bundled("clusterarrays.arraypki.io"),
          client.apiextensions().v1().customResourceDefinitions().withName("clusterarrays.arraypki.io").get());
      assertThat(stale.differences()).contains("the schema of v1alpha1 differs");
      var refused = LocalControlPlane.kubectl(WITH_A_WINDOW, "apply", "-n", ns, "-f", "-");
      assertThat(refused.exitCode()).as("0.1.0's CRDs know no renewal windows").isNotZero();
      assertThat(refused.output()).contains("unknown field \"spec.renewal\"");

      // Helm never owned 0.1.0's CRDs, so the first upgrade that templates them adopts them
      var unowned = Helm.run("upgrade", release, "charts/arraypki-operator", "--namespace", releaseNs,
          "--set", "replicas=0");
      assertThat(unowned.exitCode()).isNotZero();
      assertThat(unowned.output()).contains("invalid ownership metadata");
      Helm.run("upgrade", release, "charts/arraypki-operator", "--namespace", releaseNs, "--set", "replicas=0",
          "--take-ownership").orFail("helm upgrade --take-ownership");

      for (String name : CrdCheck.NAMES) {
        var installed = client.apiextensions().v1().customResourceDefinitions().withName(name).get();
        assertThat(CrdCheck.compare(CrdCheck.bundled(name), installed).verdict()).as(name)
            .isEqualTo(CrdCheck.Verdict.CURRENT);
        assertThat(installed.getMetadata().getAnnotations())
            .containsEntry("meta.helm.sh/release-name", release)
            .containsEntry("helm.sh/resource-policy", "keep");
      }
      Arrays.awaitArrayReady(client, ns, "sgd", 2);
      assertThat(secretVersions(client, ns)).as("nothing issued anew by the upgrade").isEqualTo(secretsBefore);
      LocalControlPlane.kubectl(WITH_A_WINDOW, "apply", "-n", ns, "-f", "-").orFail("the new field, after the upgrade");
      Waits.converge().untilAsserted(() -> {
        ClusterArray array = Arrays.getArray(client, ns, "sgd");
        assertThat(Conditions.find(array.getStatus().conditions, "RenewalWindows"))
            .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("Accepted"));
      });

      // uninstalling the release keeps the CRDs, and with them every array
      Helm.run("uninstall", release, "--namespace", releaseNs).orFail("helm uninstall");
      for (String name : CrdCheck.NAMES) {
        assertThat(client.apiextensions().v1().customResourceDefinitions().withName(name).get()).as(name).isNotNull();
      }
      Arrays.awaitArrayReady(client, ns, "sgd", 2);
    } finally {
      Helm.run("uninstall", release, "--namespace", releaseNs, "--ignore-not-found");
      applyCrds(Commands.projectDir().resolve("crds"));
      LocalControlPlane.kubectl(null, "delete", "namespace", releaseNs, "--ignore-not-found", "--wait=false");
    }
  }

  /** As e2e/local-cluster.sh installs crds/: server-side, Fabric8's field manager, taking the fields back. */
  private static void applyCrds(Path directory) {
    LocalControlPlane.kubectl(null, "apply", "--server-side", "--force-conflicts", "--field-manager", "fabric8",
        "-f", directory.toString()).orFail("apply CRDs from " + directory);
    LocalControlPlane.kubectl(null, "wait", "--for", "condition=Established", "--timeout", "60s",
        "crd/clusterarrays.arraypki.io", "crd/nodes.arraypki.io", "crd/candidatemaps.arraypki.io")
        .orFail("CRDs established");
  }

  private static Map<String, String> secretVersions(KubernetesClient client, String ns) {
    List<Secret> secrets = client.secrets().inNamespace(ns).withLabel("app.kubernetes.io/managed-by", "arraypki-operator")
        .list().getItems();
    assertThat(secrets).isNotEmpty();
    return secrets.stream().collect(Collectors.toMap(s -> s.getMetadata().getName(),
        s -> s.getMetadata().getResourceVersion()));
  }
}
