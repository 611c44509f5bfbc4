package io.arraypki.operator.support;

import io.arraypki.operator.reconciler.ClusterArrayReconciler;
import io.arraypki.operator.reconciler.CsrSigner;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.arraypki.operator.reconciler.NodeReconciler;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.arraypki.operator.OperatorMain;
import io.arraypki.operator.ops.OperatorSettings;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.Set;

/**
 * The operator, run in the test JVM against the local control plane, with one namespace per test
 * class (JOSDK's LocallyRunOperatorExtension). Register it as a static field:
 * {@code @RegisterExtension static LocallyRunOperatorExtension operator = OperatorUnderTest.start();}
 */
public final class OperatorUnderTest {
  /** The operator's counters, as /metrics would show them, for tests to read. */
  public static final SimpleMeterRegistry METRICS = new SimpleMeterRegistry();

  static {
    Metrics.addRegistry(METRICS);
  }

  private OperatorUnderTest() {}

  public static LocallyRunOperatorExtension start() {
    return start(Clock.systemUTC());
  }

  /**
   * A new in-process operator watching one namespace, as a restarted operator would start: with
   * empty caches, from the initial list of the informers.
   */
  public static Operator fresh(String namespace) {
    OperatorSettings settings = new OperatorSettings(Set.of(namespace), 0, false, "default", "test", 8, false);
    Operator operator = OperatorMain.create(LocalControlPlane.client(), Clock.systemUTC(), settings, o -> {});
    operator.start();
    return operator;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void onlyOurSigner(ControllerConfigurationOverrider overrider) {
    ((ControllerConfigurationOverrider<CertificateSigningRequest>) overrider).withGenericFilter(CsrSigner::ours);
  }

  public static LocallyRunOperatorExtension start(Clock clock) {
    String crds = Commands.projectDir().resolve("crds").toString();
    return LocallyRunOperatorExtension.builder()
        .withKubernetesClient(LocalControlPlane.client())
        .withReconciler(new ClusterArrayReconciler(clock))
        .withReconciler(new NodeReconciler(clock))
        .withReconciler(new CsrSigner(clock), OperatorUnderTest::onlyOurSigner)
        .withAdditionalCRD(
            crds + "/clusterarrays.arraypki.io.yaml",
            crds + "/nodes.arraypki.io.yaml",
            crds + "/candidatemaps.arraypki.io.yaml")
        .withConfigurationService(o -> o.withCloseClientOnStop(false).withConcurrentReconciliationThreads(8))
        .oneNamespacePerClass(true)
        .build();
  }
}
