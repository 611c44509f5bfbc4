package io.arraypki.operator.trust;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Confirms the trust of a member that is not written in Java: a container beside it, mounting
 * the same volumes, reports on the member's trust Lease what those volumes hold, exactly as
 * {@link TrustConfirmations} does for a Java daemon. It reads certificates only (tls.crt of each
 * TLS directory, ca.crt of the trust directory), never tls.key: a sidecar may mount the
 * certificate alone.
 *
 * <p>Run on the operator image with {@code args: ["confirm-trust"]}. Environment:
 * {@code TRUST_LEASE} (or {@code MEMBER_NAME}: {@code <MEMBER_NAME>-trust}), {@code TLS_DIRS}
 * (comma-separated, default {@code /etc/array/tls}), {@code TRUST_DIR} (default
 * {@code /etc/array/trust}), {@code CONFIRM_INTERVAL_MS} (default 1000), {@code POD_NAME} or
 * {@code HOSTNAME}, and the in-cluster credentials of {@link KubernetesLease#inCluster}. It runs
 * until SIGTERM and logs plain lines on stdout.
 *
 * <p>It starts no operator machinery (no Kubernetes client, no Operator). Through the image's
 * entrypoint the JVM still initialises the operator's logging, which OperatorMain's logger field
 * asks for before {@code main} runs; {@code command: [java, -cp, /opt/arraypki/arraypki-operator.jar,
 * io.arraypki.operator.trust.ConfirmSidecar]} skips that too and starts in about half the time.
 */
public final class ConfirmSidecar {
  private ConfirmSidecar() {}

  /** The sidecar's environment. */
  record Settings(String leaseName, List<Path> tlsDirectories, Path trustDirectory, Duration interval,
      String holderIdentity) {
    static Settings fromEnvironment(Map<String, String> env) {
      String lease = blankToNull(env.get("TRUST_LEASE"));
      if (lease == null) {
        String member = blankToNull(env.get("MEMBER_NAME"));
        if (member == null) {
          throw new IllegalArgumentException("set TRUST_LEASE (or MEMBER_NAME: the Lease is <MEMBER_NAME>-trust)");
        }
        lease = member + "-trust";
      }
      List<Path> tls = new ArrayList<>();
      for (String dir : env.getOrDefault("TLS_DIRS", "/etc/array/tls").split(",")) {
        if (!dir.isBlank()) {
          tls.add(Path.of(dir.trim()));
        }
      }
      if (tls.isEmpty()) {
        throw new IllegalArgumentException("TLS_DIRS names no directory");
      }
      String interval = blankToNull(env.get("CONFIRM_INTERVAL_MS"));
      long millis;
      try {
        millis = interval == null ? TrustConfirmations.DEFAULT_INTERVAL.toMillis() : Long.parseLong(interval);
      } catch (NumberFormatException e) {
        millis = -1;
      }
      if (millis <= 0) {
        throw new IllegalArgumentException("CONFIRM_INTERVAL_MS must be a positive whole number, not '" + interval + "'");
      }
      return new Settings(lease, List.copyOf(tls), Path.of(env.getOrDefault("TRUST_DIR", "/etc/array/trust")),
          Duration.ofMillis(millis), TrustConfirmations.holderFromEnvironment(env));
    }
  }

  public static void main(String[] args) throws InterruptedException {
    Settings settings;
    LeaseWriter lease;
    try {
      settings = Settings.fromEnvironment(System.getenv());
      lease = KubernetesLease.inCluster(settings.leaseName());
    } catch (RuntimeException e) {
      System.err.println("confirm-trust: " + e.getMessage());
      System.exit(2);
      return;
    }
    TrustConfirmations confirmations = reporter(settings, lease, line -> System.out.println("confirm-trust: " + line));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      confirmations.close();
      stopped.countDown();
    }, "confirm-trust-stop"));
    System.out.println("confirm-trust: confirming " + settings.tlsDirectories() + " and " + settings.trustDirectory()
        + " on " + lease.describe() + " as " + settings.holderIdentity() + ", every " + settings.interval().toMillis()
        + " ms");
    confirmations.start();
    stopped.await();
  }

  /** The reporter over the mounted certificates of {@code settings}. */
  static TrustConfirmations reporter(Settings settings, LeaseWriter lease, java.util.function.Consumer<String> log) {
    MountedFiles<List<X509Certificate>> cas = certificates(settings.trustDirectory().resolve("ca.crt"));
    List<MountedFiles<List<X509Certificate>>> chains = settings.tlsDirectories().stream()
        .map(dir -> certificates(dir.resolve("tls.crt"))).toList();
    return new TrustConfirmations(cas::get, () -> chains.stream().map(chain -> chain.get().get(0)).toList(), lease,
        settings.holderIdentity(), settings.interval(), log);
  }

  /** The certificates of one mounted PEM file, read again when it changes. */
  static MountedFiles<List<X509Certificate>> certificates(Path file) {
    return new MountedFiles<>(files -> {
      if (files[0] == null) {
        throw new IllegalStateException(file + " is not mounted");
      }
      try {
        List<X509Certificate> certificates = CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(files[0])).stream().map(X509Certificate.class::cast)
            .toList();
        if (certificates.isEmpty()) {
          throw new IllegalStateException(file + " holds no certificate");
        }
        return certificates;
      } catch (CertificateException e) {
        throw new IllegalStateException(file + " cannot be read: " + e.getMessage(), e);
      }
    }, file);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
