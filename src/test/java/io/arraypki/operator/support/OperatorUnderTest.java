package io.arraypki.operator.support;

import io.arraypki.operator.reconciler.ClusterArrayReconciler;
import io.arraypki.operator.reconciler.CsrSigner;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.arraypki.operator.reconciler.NodeReconciler;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.arraypki.operator.OperatorMain;
import io.arraypki.operator.ops.OperatorSettings;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The operator the end-to-end tests drive, with one namespace per test class. By default it runs in
 * the test JVM against the local control plane (JOSDK's LocallyRunOperatorExtension). With
 * {@code -Darraypki.operator=deployed} the tests drive an operator already running in the cluster
 * (installed by {@code helm install}, as {@code e2e/kind/run.sh} does) and only create and delete
 * their namespaces ({@link NamespaceOnly}). Register it as a static field:
 * {@code @RegisterExtension static AbstractOperatorExtension operator = OperatorUnderTest.start();}
 * Tests that need the operator in this JVM (to stop it or read its meters) carry
 * {@link #IN_PROCESS_ONLY} and are skipped against a deployed operator.
 */
public final class OperatorUnderTest {
  /** The operator's counters, as /metrics would show them, for tests to read. */
  public static final SimpleMeterRegistry METRICS = new SimpleMeterRegistry();

  static {
    Metrics.addRegistry(METRICS);
  }

  /** Tag of tests that stop the in-process operator or read its meters. */
  public static final String IN_PROCESS_ONLY = "in-process-operator";

  /** Tag of tests that install an operator of their own (a second one beside a deployed one). */
  public static final String INSTALLS_OPERATOR = "installs-operator";

  /**
   * The user agent of the n-th {@link #fresh} operator of this JVM ({@value}n): in the audit log,
   * its writes are told from the extension's operator's and the test's own (fabric8's agent).
   */
  public static final String FRESH_AGENT = "arraypki-test-fresh-operator-";

  private static final AtomicInteger FRESH = new AtomicInteger();

  /** The reconcile threads of each {@link #fresh} operator, for {@link #stop} to wait on. */
  private static final Map<Operator, ExecutorService> RECONCILERS = new ConcurrentHashMap<>();

  private OperatorUnderTest() {}

  /** True when the tests drive an operator deployed in the cluster, not one in this JVM. */
  public static boolean deployed() {
    return "deployed".equals(System.getProperty("arraypki.operator", "local"));
  }

  public static AbstractOperatorExtension start() {
    if (deployed()) {
      return namespaceOnly();
    }
    return inProcess();
  }

  /**
   * A namespace per test class and no operator: for the tests that start, stop and kill their
   * own ({@link #fresh}, {@link OperatorProcess}). These tests once took {@link #inProcess} and
   * stopped its operator first thing; on CI four of them then met an operator reconciling their
   * namespace while they had stopped every one (an array issued, a ledger repaired, a Node
   * revoked). With none here, only the operators a test starts, and stops with {@link #stop},
   * run there, and the audit log names each ({@link #FRESH_AGENT}).
   */
  public static AbstractOperatorExtension namespaceOnly() {
    return new NamespaceOnly(LocalControlPlane.client());
  }

  /**
   * A new in-process operator watching one namespace, as a restarted operator would start: with
   * empty caches, from the initial list of the informers.
   */
  public static Operator fresh(String namespace) {
    OperatorSettings settings = new OperatorSettings(Set.of(namespace), 0, false, "default", "test", 8, false);
    ExecutorService reconcilers = Executors.newFixedThreadPool(settings.reconcileThreads());
    Operator operator = OperatorMain.create(LocalControlPlane.client(FRESH_AGENT + FRESH.incrementAndGet()),
        Clock.systemUTC(), settings, o -> o.withExecutorService(reconcilers));
    RECONCILERS.put(operator, reconcilers);
    operator.start();
    return operator;
  }

  /**
   * Stops a {@link #fresh} operator (none: nothing) and returns once none of its reconciles runs
   * any more. JOSDK's stop() interrupts the reconciles under way and returns at once; one goes on
   * until a blocking call notices, and by then its informers' caches read empty, so that what the
   * test does next, such as deleting a Node, could meet a reconcile of the operator it had stopped.
   */
  public static void stop(Operator operator) {
    if (operator == null) {
      return;
    }
    operator.stop();
    ExecutorService reconcilers = RECONCILERS.remove(operator);
    if (reconcilers == null) {
      return;
    }
    try {
      if (!reconcilers.awaitTermination(2, TimeUnit.MINUTES)) {
        throw new AssertionError("a reconcile of a stopped operator still runs after 2 minutes");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while a stopped operator's reconciles ended", e);
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void onlyOurSigner(ControllerConfigurationOverrider overrider) {
    ((ControllerConfigurationOverrider<CertificateSigningRequest>) overrider).withGenericFilter(CsrSigner::ours);
  }

  /** The operator in this JVM, whatever the mode: for tests that stop it or read its meters. */
  public static LocallyRunOperatorExtension inProcess() {
    Clock clock = Clock.systemUTC();
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
