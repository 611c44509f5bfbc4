package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.LocalControlPlane;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.parallel.Isolated;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator as users run it: two pods of the Helm chart ({@code e2e/operator-pod.sh}, the
 * image built locally) on the worker node. Only the Lease holder reconciles; a leader deleted by
 * force or SIGKILLed is replaced, and a {@code helm upgrade} to another image rolls the pods; in
 * every case the array keeps its one CA and no member is issued anything anew.
 */
@Tag("operator-pod")
@Order(Integer.MAX_VALUE) // last: it kills and upgrades the operator every other test uses
@Isolated // and with no other test running, the member pods' included
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorPodTest {
  @RegisterExtension
  static AbstractOperatorExtension operator = OperatorUnderTest.start();

  private static final String RELEASE_NS = "arraypki-least-privilege";
  private static final String LEASE = "arraypki-operator-leader";

  private KubernetesClient client() {
    return operator.getKubernetesClient();
  }

  private String ns() {
    return operator.getNamespace();
  }

  @Test
  @Order(1)
  void theOperatorPodRunsAsNonRootWithAReadOnlyRootFilesystemAndPassesItsProbes() throws Exception {
    List<Pod> pods = operatorPods();
    assertThat(pods).hasSize(2);
    for (Pod pod : pods) {
      assertThat(pod.getStatus().getConditions()).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo("Ready");
        assertThat(c.getStatus()).isEqualTo("True");
      });
      long pid = containerPid(pod);
      // what the kernel says of the running process, not what the manifest asks for
      String status = Files.readString(Path.of("/proc/" + pid + "/status"));
      assertThat(status).containsPattern("(?m)^Uid:\\s+65532\\s+65532\\s+65532\\s+65532$");
      assertThat(status).containsPattern("(?m)^CapEff:\\s+0000000000000000$");
      assertThat(status).containsPattern("(?m)^NoNewPrivs:\\s+1$");
      String rootMount = Files.readAllLines(Path.of("/proc/" + pid + "/mountinfo")).stream()
          .filter(l -> l.split(" ")[4].equals("/")).findFirst().orElseThrow();
      assertThat(rootMount.split(" ")[5]).as("root mount options: " + rootMount).startsWith("ro");
      assertThat(Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' '))
          .contains("-jar /opt/arraypki/arraypki-operator.jar");
    }
    assertThat(holder()).as("the Lease holder is one of the pods")
        .isIn(pods.stream().map(p -> p.getMetadata().getName()).toList());
  }

  @Test
  @Order(1) // before the pods are deleted, killed and rolled (their logs go with them)
  void theOperatorPodsLogOneEcsJsonObjectPerLineAsTheChartsDefaultAsks() throws Exception {
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    for (Pod pod : operatorPods()) {
      String name = pod.getMetadata().getName();
      List<String> lines = client().pods().inNamespace(RELEASE_NS).withName(name).getLog().lines().toList();
      assertThat(lines).as(name + "'s log").isNotEmpty();
      for (String line : lines) {
        com.fasterxml.jackson.databind.JsonNode event = json.readTree(line); // a line that is not JSON fails here
        assertThat(List.of("@timestamp", "log.level", "message", "log.logger"))
            .as(name + ": " + line).allMatch(field -> event.path(field).isTextual());
      }
      assertThat(lines).as(name + "'s log").anySatisfy(line ->
          assertThat(json.readTree(line).path("message").asText()).startsWith("arraypki-operator started"));
    }
  }

  @Test
  @Order(2)
  void aLeaderPodDeletedByForceIsReplacedAndTheArrayKeepsItsOneCa() {
    createArray("ha", 2);
    Map<String, String> leaves = leaves();
    String leader = holder();
    LocalControlPlane.kubectl(null, "delete", "pod", leader, "-n", RELEASE_NS, "--grace-period=0", "--force")
        .orFail("delete the leader pod");
    Waits.upTo(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
        .until(() -> !leader.equals(holder()) && operatorPods().stream()
            .anyMatch(p -> p.getMetadata().getName().equals(holder())));
    joinAndCheckNothingElseChanged("ha-2", leaves);
  }

  @Test
  @Order(3)
  void aLeaderWhoseProcessIsKilledIsReplacedAndTheArrayKeepsItsOneCa() throws Exception {
    Map<String, String> leaves = leaves();
    String leader = holder();
    Pod pod = client().pods().inNamespace(RELEASE_NS).withName(leader).get();
    int restarts = pod.getStatus().getContainerStatuses().get(0).getRestartCount();
    Commands.run("kill", "-KILL", Long.toString(containerPid(pod))).orFail("SIGKILL the leader's process");
    // the kubelet restarts the container, or the other pod takes the Lease once it expires
    Waits.upTo(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> {
      Pod now = client().pods().inNamespace(RELEASE_NS).withName(leader).get();
      return !leader.equals(holder()) || now.getStatus().getContainerStatuses().get(0).getRestartCount() > restarts;
    });
    joinAndCheckNothingElseChanged("ha-3", leaves);
  }

  @Test
  @Order(4)
  void aHelmUpgradeToAnotherImageRollsThePodsWithoutASecondCaOrAReissue() {
    Map<String, String> leaves = leaves();
    Commands.Result upgrade = Commands.run(List.of("bash",
        Commands.projectDir().resolve("e2e/operator-pod.sh").toString(), "upgrade", "upgraded"), null, Map.of(), 600);
    assertThat(upgrade.exitCode()).as(upgrade.output()).isZero();
    assertThat(operatorPods()).hasSize(2).allSatisfy(p ->
        assertThat(p.getSpec().getContainers().get(0).getImage()).endsWith(":upgraded"));
    joinAndCheckNothingElseChanged("ha-4", leaves);
  }

  private void createArray(String name, int count) {
    client().resource(Arrays.array(ns(), name, name + "-0")).create();
    for (int i = 0; i < count; i++) {
      client().resource(Arrays.node(ns(), name + "-" + i, name)).create();
    }
    Arrays.awaitArrayReady(client(), ns(), name, count);
  }

  /** A new member joins (so a leader reconciles), one CA generation, the others' leaves untouched. */
  private void joinAndCheckNothingElseChanged(String newNode, Map<String, String> leavesBefore) {
    client().resource(Arrays.node(ns(), newNode, "ha")).create();
    Arrays.awaitArrayReady(client(), ns(), "ha", leavesBefore.size() + 1);
    assertThat(client().secrets().inNamespace(ns()).withLabel("arraypki.io/array", "ha").list().getItems().stream()
        .map(s -> s.getMetadata().getName()).filter(n -> n.startsWith("ha-ca")).sorted().toList())
        .as("the array's CA Secrets: one generation and its alias").containsExactly("ha-ca", "ha-ca-g1");
    Map<String, String> after = leaves();
    leavesBefore.forEach((secret, crt) -> assertThat(after.get(secret)).as(secret + " not reissued").isEqualTo(crt));
  }

  private Map<String, String> leaves() {
    Map<String, String> leaves = new LinkedHashMap<>();
    client().secrets().inNamespace(ns()).list().getItems().stream()
        .filter(s -> s.getMetadata().getName().endsWith("-peer-tls"))
        .forEach(s -> leaves.put(s.getMetadata().getName(), SecretData.text(s, "tls.crt").orElse("")));
    return leaves;
  }

  private List<Pod> operatorPods() {
    return client().pods().inNamespace(RELEASE_NS).withLabel("app.kubernetes.io/name", "arraypki-operator").list()
        .getItems().stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .filter(p -> "Running".equals(p.getStatus().getPhase())).toList();
  }

  private String holder() {
    Lease lease = client().leases().inNamespace(RELEASE_NS).withName(LEASE).get();
    return lease == null || lease.getSpec() == null ? "" : lease.getSpec().getHolderIdentity();
  }

  /** The host's PID of the pod's operator process, from containerd's task list. */
  private static long containerPid(Pod pod) {
    String id = pod.getStatus().getContainerStatuses().get(0).getContainerID().replaceFirst("^containerd://", "");
    String address = Commands.run("bash", Commands.projectDir().resolve("e2e/local-cluster.sh").toString(),
        "containerd-address").orFail("containerd address").output().trim();
    String tasks = Commands.run("ctr", "--address", address, "-n", "k8s.io", "tasks", "ls").orFail("ctr tasks ls")
        .output();
    for (String line : tasks.split("\n")) {
      String[] fields = line.trim().split("\\s+");
      if (fields.length >= 2 && fields[0].equals(id)) {
        return Long.parseLong(fields[1]);
      }
    }
    throw new AssertionError("no containerd task " + id + " in:\n" + tasks);
  }
}
