package io.arraypki.operator.ops;

import io.arraypki.operator.reconciler.CertificateTimes;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.List;
import java.util.function.Supplier;

/**
 * cert-manager's two certificate gauges, one series per certificate, in epoch seconds:
 * {@code arraypki_certificate_expiration_timestamp_seconds} and
 * {@code arraypki_certificate_renewal_timestamp_seconds} (0 for a CA the operator does not renew).
 * Collected on each scrape from {@link CertificateTimes}, so they show what exists now.
 */
public final class CertificateGauges implements MultiCollector {
  public static final String EXPIRATION = "arraypki_certificate_expiration_timestamp_seconds";
  public static final String RENEWAL = "arraypki_certificate_renewal_timestamp_seconds";

  private final Supplier<List<CertificateTimes.Row>> rows;

  public CertificateGauges(Supplier<List<CertificateTimes.Row>> rows) {
    this.rows = rows;
  }

  @Override
  public MetricSnapshots collect() {
    GaugeSnapshot.Builder expiration = GaugeSnapshot.builder().name(EXPIRATION).help("when the certificate expires");
    GaugeSnapshot.Builder renewal = GaugeSnapshot.builder().name(RENEWAL).help("when the certificate will be renewed");
    for (CertificateTimes.Row row : rows.get()) {
      Labels labels = Labels.of("namespace", row.namespace(), "array", row.array(), "node", row.node(),
          "kind", row.kind());
      expiration.dataPoint(GaugeDataPointSnapshot.builder().labels(labels)
          .value(row.notAfter().getEpochSecond()).build());
      renewal.dataPoint(GaugeDataPointSnapshot.builder().labels(labels)
          .value(row.renewal().map(t -> (double) t.getEpochSecond()).orElse(0.0)).build());
    }
    return MetricSnapshots.of(expiration.build(), renewal.build());
  }

  @Override
  public List<String> getPrometheusNames() {
    return List.of(EXPIRATION, RENEWAL);
  }
}
