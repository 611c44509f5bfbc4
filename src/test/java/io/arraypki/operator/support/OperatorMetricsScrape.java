package io.arraypki.operator.support;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The deployed operator's /metrics as Prometheus scrapes it: from the Lease holder's pod (the
 * leader reconciles and has the caches), through the API server's proxy to the pod's port 8080.
 */
public final class OperatorMetricsScrape {
  private OperatorMetricsScrape() {}

  private static final String RELEASE_NS = "arraypki-least-privilege";
  private static final String LEASE = "arraypki-operator-leader";
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  /** One sample: its metric name, labels and value. */
  public record Sample(String name, Map<String, String> labels, double value) {
    public boolean has(Map<String, String> wanted) {
      return wanted.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }
  }

  /** Every sample of the leader's /metrics now. */
  public static List<Sample> scrape() {
    Lease lease = LocalControlPlane.client().leases().inNamespace(RELEASE_NS).withName(LEASE).get();
    String leader = lease.getSpec().getHolderIdentity();
    String text = LocalControlPlane.kubectl(null, "get", "--raw",
        "/api/v1/namespaces/" + RELEASE_NS + "/pods/" + leader + ":8080/proxy/metrics")
        .orFail("scrape the leader's /metrics").output();
    return text.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).map(OperatorMetricsScrape::sample)
        .flatMap(Optional::stream).toList();
  }

  /** The samples of {@code name} with these labels (and any others). */
  public static List<Sample> find(List<Sample> samples, String name, Map<String, String> labels) {
    return samples.stream().filter(s -> s.name().equals(name) && s.has(labels)).toList();
  }

  private static Optional<Sample> sample(String line) {
    Matcher m = SAMPLE.matcher(line);
    if (!m.matches()) {
      return Optional.empty();
    }
    Map<String, String> labels = new LinkedHashMap<>();
    if (m.group(3) != null) {
      Matcher l = LABEL.matcher(m.group(3));
      while (l.find()) {
        labels.put(l.group(1), l.group(2));
      }
    }
    return Optional.of(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
  }
}
