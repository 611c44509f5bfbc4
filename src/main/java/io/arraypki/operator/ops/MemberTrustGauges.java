package io.arraypki.operator.ops;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code arraypki_array_members_behind{namespace, array}}: members that confirm on their trust
 * Lease and have not yet confirmed the bundle and certificate their Secrets hold. Computed when
 * scraped from the leader's caches, like the certificate gauges.
 */
public final class MemberTrustGauges implements MultiCollector {
  public static final String MEMBERS_BEHIND = "arraypki_array_members_behind";

  private final Supplier<Map<String, Long>> behind;

  /** @param behind members behind by "namespace/array" */
  public MemberTrustGauges(Supplier<Map<String, Long>> behind) {
    this.behind = behind;
  }

  @Override
  public MetricSnapshots collect() {
    GaugeSnapshot.Builder gauge = GaugeSnapshot.builder().name(MEMBERS_BEHIND)
        .help("members that have not confirmed loading what their Secrets hold");
    behind.get().forEach((key, count) -> {
      int slash = key.indexOf('/');
      gauge.dataPoint(GaugeDataPointSnapshot.builder()
          .labels(Labels.of("namespace", key.substring(0, slash), "array", key.substring(slash + 1)))
          .value(count).build());
    });
    return MetricSnapshots.of(gauge.build());
  }

  @Override
  public List<String> getPrometheusNames() {
    return List.of(MEMBERS_BEHIND);
  }
}
