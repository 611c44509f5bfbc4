package io.arraypki.operator.ops;

import io.arraypki.operator.reconciler.CertificateTimes;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

/**
 * Each array's rotation and CRL times, in epoch seconds, for the chart's alerts (a rotation that
 * overruns its phase, CRLs close to their nextUpdate):
 * <ul>
 *   <li>{@code arraypki_rotation_started_timestamp_seconds{namespace, array, phase, reason}}: while
 *       a rotation is in progress (or its next CA is prepared), when it began;
 *   <li>{@code arraypki_rotation_phase_ends_timestamp_seconds{namespace, array, phase}}: when the
 *       current phase's wait is to end, where it has one;
 *   <li>{@code arraypki_crl_next_update_timestamp_seconds{namespace, array}}: the nextUpdate of the
 *       CRLs the array's trust ConfigMap publishes.
 * </ul>
 * Collected when scraped from the leader's caches, so an idle array has no rotation series.
 */
public final class ArrayGauges implements MultiCollector {
  public static final String ROTATION_STARTED = "arraypki_rotation_started_timestamp_seconds";
  public static final String PHASE_ENDS = "arraypki_rotation_phase_ends_timestamp_seconds";
  public static final String CRL_NEXT_UPDATE = "arraypki_crl_next_update_timestamp_seconds";

  private final Supplier<List<CertificateTimes.ArrayRow>> rows;

  public ArrayGauges(Supplier<List<CertificateTimes.ArrayRow>> rows) {
    this.rows = rows;
  }

  @Override
  public MetricSnapshots collect() {
    GaugeSnapshot.Builder started = GaugeSnapshot.builder().name(ROTATION_STARTED)
        .help("when the CA rotation in progress began");
    GaugeSnapshot.Builder phaseEnds = GaugeSnapshot.builder().name(PHASE_ENDS)
        .help("when the rotation's current phase is to end");
    GaugeSnapshot.Builder crl = GaugeSnapshot.builder().name(CRL_NEXT_UPDATE)
        .help("the nextUpdate of the array's published CRLs");
    for (CertificateTimes.ArrayRow row : rows.get()) {
      String phase = row.phase().orElse("");
      row.rotationStartedAt().ifPresent(t -> started.dataPoint(point(Labels.of("namespace", row.namespace(),
          "array", row.array(), "phase", phase, "reason", row.reason().orElse("")), t)));
      row.phaseEndsAt().ifPresent(t -> phaseEnds.dataPoint(point(Labels.of("namespace", row.namespace(),
          "array", row.array(), "phase", phase), t)));
      row.crlNextUpdate().ifPresent(t -> crl.dataPoint(point(Labels.of("namespace", row.namespace(),
          "array", row.array()), t)));
    }
    return MetricSnapshots.of(started.build(), phaseEnds.build(), crl.build());
  }

  private static GaugeDataPointSnapshot point(Labels labels, Instant at) {
    return GaugeDataPointSnapshot.builder().labels(labels).value(at.getEpochSecond()).build();
  }

  @Override
  public List<String> getPrometheusNames() {
    return List.of(ROTATION_STARTED, PHASE_ENDS, CRL_NEXT_UPDATE);
  }
}
