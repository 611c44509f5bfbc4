package io.arraypki.operator.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;

/**
 * The operator's own counters, cert-manager style names (the certificate gauges are
 * {@link CertificateGauges}, collected when scraped). They live in Micrometer's global
 * registry; the HTTP server exposes them (with JOSDK's) in Prometheus format on /metrics.
 */
public final class OperatorMetrics {
  private OperatorMetrics() {}

  private static MeterRegistry registry() {
    return Metrics.globalRegistry;
  }

  public static void issued(String namespace, String array, String kind) {
    Counter.builder("arraypki_certificates_issued").description("certificates issued")
        .tags("namespace", namespace, "array", array, "kind", kind).register(registry()).increment();
  }

  public static void revoked(String namespace, String array, long count) {
    Counter.builder("arraypki_certificates_revoked").description("certificates put on a CRL")
        .tags("namespace", namespace, "array", array).register(registry()).increment(count);
  }

  public static void rotationStep(String namespace, String array, String phase) {
    Counter.builder("arraypki_rotation_steps").description("CA rotation phase changes")
        .tags("namespace", namespace, "array", array, "phase", phase).register(registry()).increment();
  }

  public static void verifyProblem(String namespace, String array, String problem) {
    Counter.builder("arraypki_verify_problems").description("problems found (and repaired) by verify")
        .tags("namespace", namespace, "array", array, "problem", problem).register(registry()).increment();
  }
}
