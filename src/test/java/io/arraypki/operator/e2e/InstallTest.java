package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.Helm;
import io.arraypki.operator.support.LocalControlPlane;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import io.arraypki.operator.ops.cli.CrdCheck;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The ways to install the operator: the Helm chart in {@code charts/arraypki-operator} and the
 * plain manifests in {@code deploy/operator.yaml} rendered from it, checked with the pinned helm
 * and kubectl against the real local control plane. No pod runs there (no scheduler, no
 * kubelet): what is checked is that the API server accepts and stores every object.
 */
@Tag(OperatorUnderTest.INSTALLS_OPERATOR)
class InstallTest {
  private static final Path PROJECT = Commands.projectDir();
  private static final Path CHART = PROJECT.resolve("charts/arraypki-operator");
  private static final String CHART_ARG = "charts/arraypki-operator";

  private static Path helm;

  @BeforeAll
  static void controlPlaneIsUp() {
    LocalControlPlane.kubeconfig();
    helm = Helm.binary();
  }

  @Test
  void chartCrdsAreByteIdenticalToTheGeneratedCrds() throws IOException {
    List<String> generated = yamlFiles(PROJECT.resolve("crds"));
    List<String> inChart = yamlFiles(CHART.resolve("files/crds"));

    assertThat(generated).containsExactlyInAnyOrder(
        "clusterarrays.arraypki.io.yaml", "nodes.arraypki.io.yaml", "candidatemaps.arraypki.io.yaml");
    assertThat(inChart).as("charts/arraypki-operator/files/crds").containsExactlyInAnyOrderElementsOf(generated);
    for (String name : generated) {
      assertThat(Files.mismatch(PROJECT.resolve("crds").resolve(name), CHART.resolve("files/crds").resolve(name)))
          .as("charts/arraypki-operator/files/crds/%s differs from crds/%s (./mvnw -Pupdate-crds process-test-classes)",
              name, name)
          .isEqualTo(-1L);
    }
  }

  @Test
  void theChartRendersTheGeneratedCrdsAsTemplatesKeptOnUninstallAndNoneWhenDisabled() {
    List<HasMetadata> rendered = parse(helm("template", "r", CHART_ARG, "--namespace", "x").orFail("helm template").output());
    List<CustomResourceDefinition> crds = rendered.stream().filter(CustomResourceDefinition.class::isInstance)
        .map(CustomResourceDefinition.class::cast).toList();

    assertThat(crds).extracting(c -> c.getMetadata().getName()).containsExactlyInAnyOrderElementsOf(CrdCheck.NAMES);
    for (CustomResourceDefinition crd : crds) {
      assertThat(CrdCheck.compare(CrdCheck.bundled(crd.getMetadata().getName()), crd).differences())
          .as(crd.getMetadata().getName()).isEmpty();
      assertThat(crd.getMetadata().getAnnotations()).containsEntry("helm.sh/resource-policy", "keep");
      assertThat(crd.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "Helm");
    }
    assertThat(parse(helm("template", "r", CHART_ARG, "--set", "crds.keep=false").orFail("helm template").output()))
        .filteredOn(CustomResourceDefinition.class::isInstance).hasSize(3)
        .allSatisfy(c -> assertThat(c.getMetadata().getAnnotations()).isNullOrEmpty());
    assertThat(parse(helm("template", "r", CHART_ARG, "--set", "crds.enabled=false").orFail("helm template").output()))
        .noneMatch(CustomResourceDefinition.class::isInstance);
  }

  @Test
  void aWrongValueFailsHelmInstallWithAMessageNamingItAndNothingIsInstalled() {
    String kubeconfig = LocalControlPlane.kubeconfig().toString();
    Commands.Result wrongType = helm("install", "wrong", CHART_ARG, "--namespace", "arraypki-never-created",
        "--kubeconfig", kubeconfig, "--set", "replicas=two");
    Commands.Result misspelt = helm("install", "wrong", CHART_ARG, "--namespace", "arraypki-never-created",
        "--kubeconfig", kubeconfig, "--set", "crd.enabled=false");
    Commands.Result badEnum = helm("template", "wrong", CHART_ARG, "--set", "operator.logFormat=xml");
    Commands.Result badQuantity = helm("template", "wrong", CHART_ARG, "--set", "resources.limits.memory=512MB");
    Commands.Result badNamespaces = helm("template", "wrong", CHART_ARG, "--set-string",
        "operator.watchNamespaces=pki\\, staging");

    assertThat(wrongType.exitCode()).isNotZero();
    assertThat(wrongType.output()).contains("at '/replicas': got string, want integer");
    assertThat(misspelt.exitCode()).isNotZero();
    assertThat(misspelt.output()).contains("additional properties 'crd' not allowed");
    assertThat(badEnum.output()).contains("at '/operator/logFormat': value must be one of 'json', 'text'");
    assertThat(badQuantity.output()).contains("at '/resources/limits/memory': '512MB' does not match pattern");
    assertThat(badNamespaces.output()).contains("at '/operator/watchNamespaces'");
    assertThat(LocalControlPlane.kubectl(null, "get", "namespace", "arraypki-never-created", "--ignore-not-found",
        "-o", "name").orFail("get namespace").output()).isBlank();
  }

  @Test
  void helmLintOfTheChartIsClean() {
    Commands.Result lint = helm("lint", "--strict", CHART_ARG);

    assertThat(lint.exitCode()).as(lint.output()).isZero();
    assertThat(lint.output()).as(lint.output()).doesNotContain("[ERROR]", "[WARNING]")
        .contains("0 chart(s) failed");
  }

  @Test
  void theRenderedChartIsAcceptedByTheApiServer() {
    String ns = uniqueName("arraypki-dryrun");
    LocalControlPlane.kubectl(null, "create", "namespace", ns).orFail("create namespace " + ns);
    try {
      String rendered = helm("template", "dry", CHART_ARG, "--namespace", ns, "--include-crds")
          .orFail("helm template").output();

      Commands.Result apply = LocalControlPlane.kubectl(rendered, "apply", "--dry-run=server", "-n", ns, "-f", "-");

      assertThat(apply.exitCode()).as(apply.output()).isZero();
      assertThat(apply.output()).contains(
          "serviceaccount/dry-arraypki-operator created (server dry run)",
          "clusterrole.rbac.authorization.k8s.io/dry-arraypki-operator created (server dry run)",
          "clusterrolebinding.rbac.authorization.k8s.io/dry-arraypki-operator created (server dry run)",
          "role.rbac.authorization.k8s.io/dry-arraypki-operator-leader-election created (server dry run)",
          "rolebinding.rbac.authorization.k8s.io/dry-arraypki-operator-leader-election created (server dry run)",
          "service/dry-arraypki-operator created (server dry run)",
          "deployment.apps/dry-arraypki-operator created (server dry run)",
          "customresourcedefinition.apiextensions.k8s.io/clusterarrays.arraypki.io",
          "customresourcedefinition.apiextensions.k8s.io/nodes.arraypki.io",
          "customresourcedefinition.apiextensions.k8s.io/candidatemaps.arraypki.io");
    } finally {
      deleteNamespace(ns);
    }
  }

  @Test
  void theKindRunsValuesDeployTheLocallyLoadedImageAndAreAcceptedByTheApiServer() {
    String ns = uniqueName("arraypki-kind");
    LocalControlPlane.kubectl(null, "create", "namespace", ns).orFail("create namespace " + ns);
    try {
      String rendered = helm("template", "arraypki-operator", CHART_ARG, "--namespace", ns,
          "--values", PROJECT.resolve("e2e/kind/values.yaml").toString()).orFail("helm template").output();
      Deployment deployment = parse(rendered).stream().filter(Deployment.class::isInstance)
          .map(Deployment.class::cast).findFirst().orElseThrow();

      // e2e/kind/run.sh loads this image into Kind and waits for this Deployment by name
      assertThat(deployment.getMetadata().getName()).isEqualTo("arraypki-operator");
      Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
      assertThat(container.getImage()).isEqualTo("arraypki-operator:e2e");
      assertThat(container.getImagePullPolicy()).isEqualTo("Never");
      Commands.Result apply = LocalControlPlane.kubectl(rendered, "apply", "--dry-run=server", "-n", ns, "-f", "-");
      assertThat(apply.exitCode()).as(apply.output()).isZero();
      assertThat(apply.output()).contains("deployment.apps/arraypki-operator created (server dry run)");
    } finally {
      deleteNamespace(ns);
    }
  }

  @Test
  void deployOperatorYamlEqualsAFreshRenderOfTheChart() throws IOException {
    String fresh = Commands.run(List.of("bash", PROJECT.resolve("charts/render-deploy.sh").toString(), "-"),
        null, Map.of(), 120).orFail("charts/render-deploy.sh -").output();
    String committed = Files.readString(PROJECT.resolve("deploy/operator.yaml"));

    assertThat(committed).as("deploy/operator.yaml is stale: run charts/render-deploy.sh").isEqualTo(fresh);

    List<HasMetadata> objects = parse(committed);
    assertThat(objects.get(0).getKind()).isEqualTo("Namespace");
    assertThat(objects.get(0).getMetadata().getName()).isEqualTo("arraypki-system");
    assertThat(objects).extracting(HasMetadata::getKind).containsExactlyInAnyOrder(
        "Namespace", "CustomResourceDefinition", "CustomResourceDefinition", "CustomResourceDefinition",
        "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Service", "Deployment");
    assertThat(objects).filteredOn(o -> List.of("ServiceAccount", "Role", "RoleBinding", "Service", "Deployment")
            .contains(o.getKind()))
        .allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).as(o.getKind()).isEqualTo("arraypki-system"));
  }

  @Test
  void helmInstallCreatesEveryObjectOfTheChartAndUninstallRemovesThem() {
    String release = uniqueName("itest");
    String ns = release + "-ns";
    String fullname = release + "-arraypki-operator";
    String kubeconfig = LocalControlPlane.kubeconfig().toString();
    LocalControlPlane.kubectl(null, "create", "namespace", ns).orFail("create namespace " + ns);
    try {
      // replicas 0: the chart's default image lives in a registry this machine cannot reach; the
      // operator running as a pod of the chart is OperatorPodTest's (with the locally built image)
      helm("install", release, CHART_ARG, "--namespace", ns, "--set", "crds.enabled=false", "--kubeconfig", kubeconfig,
          "--set", "replicas=0").orFail("helm install " + release);

      for (String object : List.of("deployment/" + fullname, "serviceaccount/" + fullname, "service/" + fullname,
          "role/" + fullname + "-leader-election", "rolebinding/" + fullname + "-leader-election")) {
        Commands.Result get = LocalControlPlane.kubectl(null, "get", "-n", ns, object, "-o", "name");
        assertThat(get.exitCode()).as(object + ":\n" + get.output()).isZero();
      }
      for (String object : List.of("clusterrole/" + fullname, "clusterrolebinding/" + fullname)) {
        Commands.Result get = LocalControlPlane.kubectl(null, "get", object, "-o", "name");
        assertThat(get.exitCode()).as(object + ":\n" + get.output()).isZero();
      }
      assertThat(LocalControlPlane.kubectl(null, "get", "deployment", fullname, "-n", ns, "-o",
          "jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.serviceAccountName}")
          .orFail("get deployment").output())
          .isEqualTo("ghcr.io/arraypki/arraypki-operator:0.2.0 " + fullname);
      assertThat(LocalControlPlane.kubectl(null, "get", "clusterrolebinding", fullname, "-o",
          "jsonpath={.subjects[0].namespace}/{.subjects[0].name}").orFail("get clusterrolebinding").output())
          .isEqualTo(ns + "/" + fullname);
      assertThat(LocalControlPlane.kubectl(null, "get", "service", fullname, "-n", ns, "-o",
          "jsonpath={.spec.ports[0].name}:{.spec.ports[0].port}").orFail("get service").output())
          .isEqualTo("http:8080");

      helm("uninstall", release, "--namespace", ns, "--kubeconfig", kubeconfig).orFail("helm uninstall " + release);

      assertThat(LocalControlPlane.kubectl(null, "get", "clusterrole", fullname, "--ignore-not-found", "-o", "name")
          .orFail("get clusterrole").output()).as("ClusterRole left after helm uninstall").isBlank();
      assertThat(LocalControlPlane.kubectl(null, "get", "clusterrolebinding", fullname, "--ignore-not-found",
          "-o", "name").orFail("get clusterrolebinding").output()).as("ClusterRoleBinding left after helm uninstall")
          .isBlank();
    } finally {
      helm("uninstall", release, "--namespace", ns, "--kubeconfig", kubeconfig, "--ignore-not-found");
      deleteNamespace(ns);
    }
  }

  @Test
  void clusterRoleRulesHaveNoWildcards() {
    List<HasMetadata> objects = parse(render("wild", "arraypki-system"));
    List<PolicyRule> rules = new ArrayList<>();
    objects.stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast)
        .forEach(r -> rules.addAll(r.getRules()));
    objects.stream().filter(Role.class::isInstance).map(Role.class::cast).forEach(r -> rules.addAll(r.getRules()));

    assertThat(rules).isNotEmpty().allSatisfy(rule -> {
      assertThat(rule.getApiGroups()).as("apiGroups of %s", rule).doesNotContain("*");
      assertThat(rule.getResources()).as("resources of %s", rule).isNotEmpty()
          .allSatisfy(r -> assertThat(r).doesNotContain("*"));
      assertThat(rule.getVerbs()).as("verbs of %s", rule).isNotEmpty().doesNotContain("*");
      assertThat(rule.getNonResourceURLs()).as("nonResourceURLs of %s", rule).isNullOrEmpty();
    });
  }

  /**
   * The ServiceMonitor, the PrometheusRule and the dashboard ConfigMap, as the README installs
   * them, checked by the API server against the Prometheus Operator's own CRDs (from its Go
   * module: e2e/tools.sh prometheus-operator-crds).
   */
  @Test
  void withThePrometheusOperatorsCrdsTheMonitorRulesAndDashboardAreAcceptedByTheApiServer() {
    String crds = Commands.run(List.of("bash", Commands.projectDir().resolve("e2e/tools.sh").toString(),
        "prometheus-operator-crds"), null, Map.of(), 600).orFail("e2e/tools.sh prometheus-operator-crds").output();
    for (String crd : crds.trim().split("\n")) {
      if (crd.endsWith(".yaml")) {
        LocalControlPlane.kubectl(null, "apply", "--server-side", "-f", crd.trim()).orFail("apply " + crd);
      }
    }
    LocalControlPlane.kubectl(null, "wait", "--for=condition=Established", "--timeout=60s",
        "crd/prometheusrules.monitoring.coreos.com", "crd/servicemonitors.monitoring.coreos.com")
        .orFail("Prometheus Operator CRDs established");
    String ns = uniqueName("arraypki-monitoring");
    LocalControlPlane.kubectl(null, "create", "namespace", ns).orFail("create namespace " + ns);
    try {
      String rendered = helm("template", "mon", CHART_ARG, "--namespace", ns, "--set", "crds.enabled=false",
          "--set", "serviceMonitor.enabled=true", "--set", "prometheusRule.enabled=true",
          "--set", "grafanaDashboard.enabled=true").orFail("helm template").output();

      Commands.Result apply = LocalControlPlane.kubectl(rendered, "apply", "--dry-run=server", "-n", ns, "-f", "-");

      assertThat(apply.exitCode()).as(apply.output()).isZero();
      assertThat(apply.output()).contains(
          "servicemonitor.monitoring.coreos.com/mon-arraypki-operator created (server dry run)",
          "prometheusrule.monitoring.coreos.com/mon-arraypki-operator created (server dry run)",
          "configmap/mon-arraypki-operator-dashboard created (server dry run)");
      String broken = rendered.replace("for: 10m", "for: ten minutes");
      Commands.Result refused = LocalControlPlane.kubectl(broken, "apply", "--dry-run=server", "-n", ns, "-f", "-");
      assertThat(refused.exitCode()).as("a rule the CRD's schema refuses").isNotZero();
      assertThat(refused.output()).contains("PrometheusRule").contains("ten minutes");
    } finally {
      deleteNamespace(ns);
    }
  }

  @Test
  void clusterRoleGrantsExactlyTheRulesTheOperatorUses() {
    List<HasMetadata> objects = parse(render("exact", "arraypki-system"));
    List<String> clusterRules = objects.stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast)
        .flatMap(r -> r.getRules().stream()).map(InstallTest::describe).toList();
    List<String> roleRules = objects.stream().filter(Role.class::isInstance).map(Role.class::cast)
        .flatMap(r -> r.getRules().stream()).map(InstallTest::describe).toList();

    assertThat(clusterRules).containsExactlyInAnyOrder(
        "arraypki.io clusterarrays [] get,list,watch",
        "arraypki.io nodes [] get,list,patch,watch",
        "arraypki.io candidatemaps [] create,get,list,patch,watch",
        "arraypki.io candidatemaps/status,clusterarrays/status,nodes/status [] patch",
        " secrets [] create,delete,get,list,patch,watch",
        " configmaps [] create,get,list,patch,watch",
        " events [] create",
        "rbac.authorization.k8s.io rolebindings,roles [] create,delete,get,list,patch,watch",
        "coordination.k8s.io leases [] create,delete,get,list,patch,update,watch",
        "certificates.k8s.io certificatesigningrequests [] list,watch",
        "certificates.k8s.io certificatesigningrequests/status [] update",
        "certificates.k8s.io signers [clusterarrays.arraypki.io/*] sign",
        "cert-manager.io certificaterequests [] list,patch,watch",
        "cert-manager.io certificaterequests/status [] update",
        "cert-manager.io certificates [] get",
        "cert-manager.io certificates/status [] patch",
        "authorization.k8s.io selfsubjectrulesreviews [] create");
    assertThat(roleRules).containsExactly("coordination.k8s.io leases [] create,get,patch,update");
  }

  // ---------------------------------------------------------------- helpers

  private static String describe(PolicyRule rule) {
    return sorted(rule.getApiGroups()) + " " + sorted(rule.getResources()) + " ["
        + sorted(rule.getResourceNames()) + "] " + sorted(rule.getVerbs());
  }

  private static String sorted(List<String> values) {
    return values == null ? "" : values.stream().sorted().collect(Collectors.joining(","));
  }

  private static String render(String release, String namespace) {
    return helm("template", release, CHART_ARG, "--namespace", namespace).orFail("helm template").output();
  }

  /** The objects of a multi-document YAML stream, parsed without the server. */
  private static List<HasMetadata> parse(String yaml) {
    try (KubernetesClient client = LocalControlPlane.client()) {
      return client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items();
    }
  }

  private static Commands.Result helm(String... args) {
    List<String> command = new ArrayList<>();
    command.add(helm.toString());
    command.addAll(List.of(args));
    return Commands.run(command, null, Map.of(), 180);
  }

  private static List<String> yamlFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().toList();
    }
  }

  private static String uniqueName(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static void deleteNamespace(String ns) {
    LocalControlPlane.kubectl(null, "delete", "namespace", ns, "--ignore-not-found", "--wait=false");
  }
}
