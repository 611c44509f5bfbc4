package io.arraypki.operator;

import io.arraypki.operator.ops.CertificateGauges;
import io.arraypki.operator.reconciler.CertificateRequestSigner;
import io.arraypki.operator.ops.HealthServer;
import io.arraypki.operator.reconciler.CertificateTimes;
import io.arraypki.operator.ops.OperatorSettings;
import io.arraypki.operator.reconciler.ClusterArrayReconciler;
import io.arraypki.operator.reconciler.CsrSigner;
import io.arraypki.operator.reconciler.NodeReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts the operator: in a pod with the in-cluster config, elsewhere with the kubeconfig. */
public final class OperatorMain {
  static {
    // With one or two CPUs (a small pod, this 2-core machine) the common pool has parallelism 1,
    // and CompletableFuture then starts a new thread for every async stage: the HTTP client's
    // responses started about 9,000 threads while a thousand members were issued. Set before
    // anything loads CompletableFuture; an explicit setting is kept.
    String parallelism = "java.util.concurrent.ForkJoinPool.common.parallelism";
    if (System.getProperty(parallelism) == null) {
      System.setProperty(parallelism, Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors())));
    }
    io.arraypki.operator.ops.logging.OperatorLogging.useProcessLifetimeLogManager(); // before LOG below
  }

  private static final Logger LOG = LoggerFactory.getLogger(OperatorMain.class);

  private OperatorMain() {}

  public static void main(String[] args) throws Exception {
    io.arraypki.operator.ops.logging.OperatorLogging.configureOperator(System.getenv());
    if (args.length > 0 && args[0].equals("confirm-trust")) {
      // the trust sidecar on the operator image: no client, no Operator (see ConfirmSidecar)
      io.arraypki.operator.trust.ConfirmSidecar.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    OperatorSettings settings = OperatorSettings.fromEnvironment(System.getenv());
    KubernetesClient client = client();
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Metrics.addRegistry(metrics);
    Operator operator = create(client, Clock.systemUTC(), settings,
        o -> o.withMetrics(MicrometerMetrics.newMicrometerMetricsBuilder(metrics).notCollectingMetricsPerResource().build()));
    metrics.getPrometheusRegistry().register(new CertificateGauges(CertificateTimes.fromCaches(operator)));
    metrics.getPrometheusRegistry().register(
        new io.arraypki.operator.ops.MemberTrustGauges(CertificateTimes.membersBehindFromCaches(operator)));
    metrics.getPrometheusRegistry().register(
        new io.arraypki.operator.ops.ArrayGauges(CertificateTimes.arraysFromCaches(operator)));
    HealthServer health = HealthServer.start(settings.httpPort(), operator, metrics);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(operator, health)));
    LOG.info("crypto warmed up in {} ms", io.arraypki.operator.pki.WarmUp.run(Clock.systemUTC().instant()).toMillis());
    try {
      operator.start();
    } catch (RuntimeException e) {
      // the health server's thread would keep a JVM without controllers alive, and its pod Running
      LOG.error("arraypki-operator could not start; exiting so that it is restarted", e);
      Runtime.getRuntime().halt(1); // each log line is flushed as it is written
    }
    LOG.info("arraypki-operator started; watching {}",
        settings.watchNamespaces().isEmpty() ? "all namespaces" : settings.watchNamespaces());
    int released = io.arraypki.operator.k8s.LegacyFinalizers.releaseOrphans(client, settings.watchNamespaces());
    if (released > 0) {
      LOG.info("released the finalizer of {} deleted Node(s) outside any array, left by an earlier version", released);
    }
  }

  /**
   * On SIGTERM: stop within a bounded time, then halt. JOSDK's leader election calls
   * System.exit when it stops leading, which inside a shutdown hook would wait forever.
   */
  private static void stop(Operator operator, HealthServer health) {
    Thread stopping = new Thread(operator::stop, "operator-stop");
    stopping.setDaemon(true);
    stopping.start();
    try {
      stopping.join(STOP_TIMEOUT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    health.stop();
    LOG.info("arraypki-operator stopped");
    Runtime.getRuntime().halt(0);
  }

  private static final long STOP_TIMEOUT_MILLIS = 10_000;

  public static KubernetesClient client() {
    return new KubernetesClientBuilder().withHttpClientFactory(new JdkHttpClientFactory()).build();
  }

  /** The operator with both reconcilers registered; {@code overrides} is for tests. */
  public static Operator create(KubernetesClient client, Clock clock, OperatorSettings settings,
      Consumer<ConfigurationServiceOverrider> overrides) {
    Operator operator = new Operator(o -> {
      o.withKubernetesClient(client)
          .withConcurrentReconciliationThreads(settings.reconcileThreads())
          .withCloseClientOnStop(false);
      if (settings.leaderElection()) {
        o.withLeaderElectionConfiguration(
            new LeaderElectionConfiguration(OperatorSettings.LEASE_NAME, settings.leaderElectionNamespace(),
                settings.identity()));
      }
      overrides.accept(o);
    });
    // cert-manager's CRDs decide, once, whether the array is also a cert-manager issuer (the
    // informers of a kind that is not served would never sync, and the operator never get ready)
    boolean certManager = CertificateRequestSigner.certManagerInstalled(client);
    operator.register(new ClusterArrayReconciler(clock, certManager), namespaces(settings));
    operator.register(new NodeReconciler(clock), namespaces(settings));
    // CertificateSigningRequests are cluster-scoped: the signer sees only its own signer names,
    // and of those only the ones for arrays in the watched namespaces.
    operator.register(new CsrSigner(clock),
        (ControllerConfigurationOverrider<io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest> o)
            -> o.withGenericFilter(csr -> CsrSigner.ours(csr, settings.watchNamespaces()))
                .withItemStore(io.arraypki.operator.k8s.InformerStores.withoutManagedFields()));
    if (certManager) {
      operator.register(new CertificateRequestSigner(clock),
          (ControllerConfigurationOverrider<io.arraypki.operator.k8s.certmanager.CertificateRequest> o) -> {
            OperatorMain.<io.arraypki.operator.k8s.certmanager.CertificateRequest>namespaces(settings).accept(o);
            o.withGenericFilter(io.arraypki.operator.k8s.certmanager.CertificateRequest::forAnArray);
          });
      LOG.info("cert-manager issuer on: signing approved CertificateRequests whose issuerRef is a ClusterArray");
    } else {
      LOG.info("cert-manager issuer off: cert-manager's CertificateRequest kind is not served (install"
          + " cert-manager's CRDs and restart the operator to sign CertificateRequests)");
    }
    return operator;
  }

  private static <R extends io.fabric8.kubernetes.api.model.HasMetadata>
      Consumer<ControllerConfigurationOverrider<R>> namespaces(OperatorSettings settings) {
    return o -> {
      o.withItemStore(io.arraypki.operator.k8s.InformerStores.withoutManagedFields());
      if (!settings.watchNamespaces().isEmpty()) {
        o.settingNamespaces(settings.watchNamespaces());
      }
    };
  }

}
