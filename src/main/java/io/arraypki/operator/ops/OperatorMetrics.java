package io.arraypki.operator.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;

/**
 * The operator's own counters, cert-manager style names. They live in Micrometer's global
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

  /** Per certificate, cert-manager style: when it expires and when it will be renewed (epoch seconds). */
  public static void certificate(String namespace, String array, String node, String kind, Instant notAfter,
      Instant renewalTime) {
    // One series per node and kind: a node that moved to another array gets its series anew.
    CertificateTimes times = CERTIFICATES.compute(key(namespace, array, node, kind), (k, known) -> {
      if (known != null && known.array.equals(array)) {
        return known;
      }
      if (known != null) {
        known.unregister();
      }
      return register(namespace, array, node, kind);
    });
    times.expiration.set(notAfter.getEpochSecond());
    times.renewal.set(renewalTime == null ? 0 : renewalTime.getEpochSecond());
  }

  /** A node's certificates are gone (deleted, offline, demoted): their series go too. */
  public static void forget(String namespace, String node, String kind) {
    CertificateTimes gone = CERTIFICATES.remove(key(namespace, "", node, kind));
    if (gone != null) {
      gone.unregister();
    }
  }

  /** A node's certificates by node (whatever its array), an array's own (CA, service) by array. */
  private static String key(String namespace, String array, String node, String kind) {
    return node.isEmpty() ? namespace + "/array/" + array + "/" + kind : namespace + "/node/" + node + "/" + kind;
  }

  /** Looked up on every Node reconcile, so by key, never by a scan. */
  private static final Map<String, CertificateTimes> CERTIFICATES = new ConcurrentHashMap<>();

  private record CertificateTimes(String array, AtomicLong expiration, AtomicLong renewal, Gauge expirationGauge,
      Gauge renewalGauge) {
    void unregister() {
      registry().remove(expirationGauge);
      registry().remove(renewalGauge);
    }
  }

  private static CertificateTimes register(String namespace, String array, String node, String kind) {
    AtomicLong expiration = new AtomicLong();
    AtomicLong renewal = new AtomicLong();
    Tags tags = Tags.of("namespace", namespace, "array", array, "node", node, "kind", kind);
    Gauge e = Gauge.builder("arraypki_certificate_expiration_timestamp_seconds", expiration, AtomicLong::get)
        .description("when the certificate expires").tags(tags).register(registry());
    Gauge r = Gauge.builder("arraypki_certificate_renewal_timestamp_seconds", renewal, AtomicLong::get)
        .description("when the certificate will be renewed").tags(tags).register(registry());
    return new CertificateTimes(array, expiration, renewal, e, r);
  }

  public static void verifyProblem(String namespace, String array, String problem) {
    Counter.builder("arraypki_verify_problems").description("problems found (and repaired) by verify")
        .tags("namespace", namespace, "array", array, "problem", problem).register(registry()).increment();
  }
}
