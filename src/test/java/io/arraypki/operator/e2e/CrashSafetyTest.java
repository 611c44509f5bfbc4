package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.AuditLog;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.OperatorProcess;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import io.javaoperatorsdk.operator.Operator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rotation survives the operator stopping, the operator being killed with SIGKILL, and the
 * kube-apiserver restarting in the middle of it: it completes, exactly one new CA exists, and no
 * member is left without a valid certificate.
 */
@Tag(OperatorUnderTest.IN_PROCESS_ONLY)
class CrashSafetyTest {
  /** The operator that runs now; each test stops it and starts others, as crashes would. */
  private static Operator current;

  // Registered first, so that its afterAll runs last: the namespace is deleted while one runs.
  @RegisterExtension
  @Order(1)
  static AfterAllCallback stopCurrent = context -> OperatorUnderTest.stop(current);

  @RegisterExtension
  @Order(2)
  static AbstractOperatorExtension operator = OperatorUnderTest.namespaceOnly();

  @TempDir Path dir;

  @BeforeAll
  static void anOperatorThatTheTestsCanStop() {
    current = OperatorUnderTest.fresh(operator.getNamespace());
  }

  private void restartInProcess() {
    OperatorUnderTest.stop(current);
    current = OperatorUnderTest.fresh(ns());
  }

  private final Scenario scenario = new Scenario(operator);

  private KubernetesClient client() {
    return scenario.client();
  }

  private String ns() {
    return scenario.ns();
  }

  private List<String> createArray(String array, int members, String delay) {
    return scenario.createArray(array, members, delay, "2s");
  }

  private void setPrimary(String array, String primary) {
    scenario.setPrimary(array, primary);
  }

  private ClusterArrayStatus status(String array) {
    return scenario.status(array);
  }

  private void awaitPhase(String array, RotationPhase phase) {
    scenario.awaitPhase(array, phase);
  }

  /** Completed on generation 2, one CA Secret per generation, every member valid under it. */
  private void assertRotationCompleted(String array, List<String> nodes) throws Exception {
    Waits.upTo(Duration.ofMinutes(3)).untilAsserted(() -> {
      ClusterArrayStatus s = status(array);
      assertThat(s.ca.generation).isEqualTo(2L);
      assertThat(s.rotation.phase).isEqualTo(RotationPhase.Idle);
      for (String node : nodes) {
        assertThat(Arrays.secret(client(), ns(), node + "-peer-tls").getMetadata().getAnnotations())
            .containsEntry("arraypki.io/signed-by-generation", "2");
      }
    });
    List<String> caSecrets = client().secrets().inNamespace(ns()).withLabel("arraypki.io/array", array)
        .withLabel("arraypki.io/component", "ca").list().getItems().stream().map(s -> s.getMetadata().getName()).toList();
    assertThat(caSecrets).containsExactlyInAnyOrder(array + "-ca", array + "-ca-g2");
    Path ca = Files.writeString(dir.resolve(array + "-ca.crt"),
        SecretData.text(Arrays.secret(client(), ns(), array + "-ca"), "tls.crt").orElseThrow());
    for (String node : nodes) {
      Secret secret = Arrays.secret(client(), ns(), node + "-peer-tls");
      Path leaf = Files.writeString(dir.resolve(node + ".crt"), SecretData.text(secret, "tls.crt").orElseThrow());
      assertThat(Commands.openssl("verify", "-CAfile", ca.toString(), leaf.toString()).output()).contains(": OK");
    }
  }

  @Test
  void anOperatorStoppedWhilePublishingTrustFinishesTheRotationAfterARestart() throws Exception {
    List<String> nodes = createArray("pause", 5, "4s");
    setPrimary("pause", "pause-3");
    awaitPhase("pause", RotationPhase.PublishingTrust);
    OperatorUnderTest.stop(current);
    try {
      Thread.sleep(5_000); // the propagation delay passes while no operator runs
    } finally {
      current = OperatorUnderTest.fresh(ns());
    }
    assertRotationCompleted("pause", nodes);
  }

  @Test
  void anOperatorStoppedWhileResigningFinishesTheRotationAfterARestart() throws Exception {
    List<String> nodes = createArray("midway", 8, "1s");
    setPrimary("midway", "midway-2");
    awaitPhase("midway", RotationPhase.Resigning);
    restartInProcess();
    assertRotationCompleted("midway", nodes);
  }

  @Test
  void anOperatorKilledWithSigkillMidRotationFinishesItInItsNextLife() throws Exception {
    List<String> nodes = createArray("killed", 6, "3s");
    OperatorUnderTest.stop(current);
    Path log = OperatorProcess.log(getClass(), "operator.log");
    try {
      OperatorProcess first = OperatorProcess.start(ns(), log);
      try {
        setPrimary("killed", "killed-4");
        awaitPhase("killed", RotationPhase.PublishingTrust);
      } finally {
        first.kill();
      }
      assertThat(Arrays.secret(client(), ns(), "killed-ca-g2")).isNotNull();
      try (OperatorProcess second = OperatorProcess.start(ns(), log)) {
        awaitPhase("killed", RotationPhase.Resigning);
        second.kill();
      }
      try (OperatorProcess third = OperatorProcess.start(ns(), log)) {
        assertRotationCompleted("killed", nodes);
      }
    } finally {
      current = OperatorUnderTest.fresh(ns());
    }
  }

  /**
   * No finalizer on a user's object: with the operator down, a namespace full of arrays and
   * Nodes is deleted as promptly as any other (with the earlier finalizer on Nodes it stayed
   * Terminating until an operator came back).
   */
  @Test
  void aNamespaceWithArraysAndNodesIsDeletedWhileTheOperatorIsDown() throws Exception {
    String other = ns() + "-gone";
    client().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName(other)
        .endMetadata().build()).create();
    Operator watchingIt = OperatorUnderTest.fresh(other);
    try {
      client().resource(Arrays.array(other, "doomed", "doomed-1")).create();
      for (String node : List.of("doomed-1", "doomed-2", "doomed-3")) {
        client().resource(Arrays.node(other, node, "doomed")).create();
      }
      Arrays.awaitArrayReady(client(), other, "doomed", 3);
    } finally {
      OperatorUnderTest.stop(watchingIt);
    }
    client().namespaces().withName(other).delete();
    Waits.upTo(Duration.ofMinutes(2)).untilAsserted(() ->
        assertThat(client().namespaces().withName(other).get()).as("namespace " + other).isNull());
  }

  /**
   * A Node deleted while no operator runs is gone at once, but its array owns its Secrets: they
   * stay (with a certificate the CRL does not list yet) until an operator returns, confirms with
   * a live read that the Node is gone, revokes its certificate and removes them.
   */
  @Test
  void aNodeDeletedWhileTheOperatorIsDownIsRevokedAndItsSecretsRemovedWhenItReturns() throws Exception {
    createArray("away", 3, "1s");
    Secret peer = Arrays.secret(client(), ns(), "away-2-peer-tls");
    OperatorUnderTest.stop(current);
    AuditLog whileDown = AuditLog.fromNow();
    try {
      client().resources(io.arraypki.operator.api.ArrayNode.class).inNamespace(ns()).withName("away-2").delete();
      Waits.converge().untilAsserted(() -> assertThat(Arrays.get(client(), ns(), "away-2")).isNull());
      assertThat(Arrays.secret(client(), ns(), "away-2-peer-tls"))
          .as(() -> "kept by its array until revoked (writers while no operator ran: " + whileDown.writeCountsIn(ns())
              + ")").isNotNull();
    } finally {
      current = OperatorUnderTest.fresh(ns());
    }
    Waits.converge().untilAsserted(() -> assertThat(Arrays.secret(client(), ns(), "away-2-peer-tls")).isNull());
    var trust = client().configMaps().inNamespace(ns()).withName("away-trust").get();
    assertThat(io.arraypki.operator.support.Crl.verify(dir, trust, io.arraypki.operator.support.Crl.leafPem(peer)))
        .contains("certificate revoked");
  }

  /**
   * A Node deleted and made again under its name while no operator runs is another machine: the
   * Secret its array kept holds the first one's key. The new Node waits, the array revokes what
   * the first was issued (the recorded uid differs), and the new one gets a key of its own.
   */
  @Test
  void aNodeMadeAgainUnderADeletedOnesNameGetsANewKeyAndTheOldCertificateIsRevoked() throws Exception {
    createArray("again", 3, "1s");
    Secret first = Arrays.secret(client(), ns(), "again-2-peer-tls");
    OperatorUnderTest.stop(current);
    try {
      client().resources(io.arraypki.operator.api.ArrayNode.class).inNamespace(ns()).withName("again-2").delete();
      Waits.converge().untilAsserted(() -> assertThat(Arrays.get(client(), ns(), "again-2")).isNull());
      client().resource(Arrays.node(ns(), "again-2", "again")).create();
    } finally {
      current = OperatorUnderTest.fresh(ns());
    }
    String uid = Arrays.get(client(), ns(), "again-2").getMetadata().getUid();
    Waits.converge().untilAsserted(() -> {
      Secret now = Arrays.secret(client(), ns(), "again-2-peer-tls");
      assertThat(now).isNotNull();
      assertThat(now.getMetadata().getAnnotations()).containsEntry("arraypki.io/node-uid", uid);
      assertThat(SecretData.text(now, "tls.key")).as("a key of its own").isNotEqualTo(SecretData.text(first, "tls.key"));
    });
    var trust = client().configMaps().inNamespace(ns()).withName("again-trust").get();
    assertThat(io.arraypki.operator.support.Crl.verify(dir, trust, io.arraypki.operator.support.Crl.leafPem(first)))
        .contains("certificate revoked");
    Arrays.awaitArrayReady(client(), ns(), "again", 3);
  }

  @Test
  void aKubeApiserverRestartMidRotationDoesNotStopIt() throws Exception {
    List<String> nodes = createArray("restart", 5, "3s");
    setPrimary("restart", "restart-1");
    awaitPhase("restart", RotationPhase.PublishingTrust);
    Commands.run("bash", Commands.projectDir().resolve("e2e/local-cluster.sh").toString(), "restart-apiserver")
        .orFail("restart-apiserver");
    assertRotationCompleted("restart", nodes);
  }
}
