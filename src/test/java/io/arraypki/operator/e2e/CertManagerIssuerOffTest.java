package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.support.LocalControlPlane;
import io.arraypki.operator.support.OperatorProcess;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Where cert-manager is not installed the operator starts as always and says, in one log line,
 * that its cert-manager issuer is off. In the in-process phase, before e2e/operator-pod.sh
 * installs cert-manager's CRDs for the deployed suite (and after its stop removed them); an
 * operator JVM of its own, watching this test's namespace.
 */
@Tag(OperatorUnderTest.IN_PROCESS_ONLY)
class CertManagerIssuerOffTest {
  private static Operator cleanup;

  @RegisterExtension
  @Order(1)
  static AfterAllCallback stopCleanup = context -> OperatorUnderTest.stop(cleanup);

  @RegisterExtension
  @Order(2)
  static AbstractOperatorExtension operator = OperatorUnderTest.namespaceOnly();

  private final Scenario scenario = new Scenario(operator);

  private static String served() {
    return LocalControlPlane.kubectl(null, "api-resources", "--api-group=cert-manager.io", "-o", "name")
        .orFail("kubectl api-resources").output();
  }

  @Test
  void withoutCertManagersCrdsTheOperatorStartsAndSaysInOneLineThatTheIssuerIsOff() throws Exception {
    if (served().contains("certificaterequests")) {
      // left by a run stopped before e2e/operator-pod.sh stop removed them
      for (String crd : List.of("certificaterequests.cert-manager.io", "certificates.cert-manager.io")) {
        LocalControlPlane.kubectl(null, "delete", "crd", crd, "--ignore-not-found").orFail("delete " + crd);
      }
      Waits.converge().until(() -> !served().contains("certificaterequests"));
    }
    Path log = OperatorProcess.log(getClass(), "operator.log");
    Files.deleteIfExists(log); // an earlier run's lines (the log is appended to)
    try (OperatorProcess process = OperatorProcess.start(scenario.ns(), log)) {
      scenario.createArray("plain", 2, "1s", "1s");
      Waits.converge().until(() -> Files.readString(log).contains("arraypki-operator started"));
      List<String> lines = Files.readAllLines(log).stream().filter(l -> l.contains("cert-manager issuer")).toList();
      assertThat(lines).as("what the operator said of the issuer").singleElement()
          .satisfies(l -> assertThat(l).contains("cert-manager issuer off: cert-manager's CertificateRequest kind is"
              + " not served"));
      assertThat(process.alive()).isTrue();
    } finally {
      cleanup = OperatorUnderTest.fresh(scenario.ns());
    }
  }
}
