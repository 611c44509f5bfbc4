package io.arraypki.operator.support;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.arraypki.operator.k8s.SecretData;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Measures how long the kubelet takes to bring a write into the member pods: every 250 ms it
 * reads the trust ConfigMap (ca.crt, crl.pem) and each member's peer Secret (tls.crt) from the
 * API server, and the same files where the kubelet put them in each pod's volume. A sample is the
 * time from when a new content was first seen in the API to when a pod's file first held it.
 */
public final class Propagation implements AutoCloseable {
  private static final long PERIOD_MS = 250;

  private final KubernetesClient client;
  private final String namespace;
  private final MemberPods members;
  private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "propagation-" + r.hashCode());
    t.setDaemon(true);
    return t;
  });
  /** Per file ("trust/ca.crt", "tls/tls.crt@node"), the contents seen in the API, in order. */
  private final Map<String, List<Version>> versions = new LinkedHashMap<>();
  private final List<Duration> samples = Collections.synchronizedList(new ArrayList<>());

  private static final class Version {
    final String content;
    final Instant seenInApi;
    final boolean baseline;
    final Set<String> reached = new HashSet<>();

    Version(String content, Instant seenInApi, boolean baseline) {
      this.content = content;
      this.seenInApi = seenInApi;
      this.baseline = baseline;
    }
  }

  public Propagation(KubernetesClient client, String namespace, MemberPods members) {
    this.client = client;
    this.namespace = namespace;
    this.members = members;
    sampler.scheduleWithFixedDelay(this::sampleSafely, 0, PERIOD_MS, TimeUnit.MILLISECONDS);
  }

  private void sampleSafely() {
    try {
      sample();
    } catch (RuntimeException e) {
      // an API hiccup: the next round samples again
    }
  }

  private synchronized void sample() {
    Instant now = Instant.now();
    ConfigMap trust = client.configMaps().inNamespace(namespace).withName(members.array() + "-trust").get();
    for (String file : List.of("ca.crt", "crl.pem")) {
      String api = trust == null || trust.getData() == null ? null : trust.getData().get(file);
      seen("trust/" + file, api, now);
      for (String node : members.nodes()) {
        reached("trust/" + file, node, members.mounted(node, "trust", file), now);
      }
    }
    for (String node : members.nodes()) {
      Secret secret = client.secrets().inNamespace(namespace).withName(node + "-peer-tls").get();
      String key = "tls/tls.crt@" + node;
      seen(key, secret == null ? null : SecretData.text(secret, "tls.crt").orElse(null), now);
      reached(key, node, members.mounted(node, "tls", "tls.crt"), now);
    }
  }

  private void seen(String key, String api, Instant now) {
    if (api == null) {
      return;
    }
    List<Version> history = versions.computeIfAbsent(key, k -> new ArrayList<>());
    if (history.isEmpty() || !history.get(history.size() - 1).content.equals(api)) {
      history.add(new Version(api, now, history.isEmpty()));
    }
  }

  private void reached(String key, String node, Optional<String> mounted, Instant now) {
    if (mounted.isEmpty()) {
      return;
    }
    for (Version version : versions.getOrDefault(key, List.of())) {
      if (version.content.equals(mounted.get()) && version.reached.add(node) && !version.baseline) {
        samples.add(Duration.between(version.seenInApi, now));
      }
    }
  }

  /** True when every pod's files hold what the API holds now. */
  public synchronized boolean caughtUp() {
    for (Map.Entry<String, List<Version>> entry : versions.entrySet()) {
      Version latest = entry.getValue().get(entry.getValue().size() - 1);
      List<String> nodes = entry.getKey().contains("@")
          ? List.of(entry.getKey().substring(entry.getKey().indexOf('@') + 1)) : members.nodes();
      if (!latest.reached.containsAll(nodes)) {
        return false;
      }
    }
    return !versions.isEmpty();
  }

  /** The delays measured so far, from the API server's write to the file in the pod. */
  public List<Duration> samples() {
    synchronized (samples) {
      return new ArrayList<>(samples);
    }
  }

  /** "n samples, min / mean / max s" of the delays so far. */
  public String summary() {
    List<Duration> all = samples();
    if (all.isEmpty()) {
      return "no samples";
    }
    double min = all.stream().mapToLong(Duration::toMillis).min().orElse(0) / 1000.0;
    double max = all.stream().mapToLong(Duration::toMillis).max().orElse(0) / 1000.0;
    double mean = all.stream().mapToLong(Duration::toMillis).average().orElse(0) / 1000.0;
    return String.format(java.util.Locale.ROOT, "%d samples, min %.1f s, mean %.1f s, max %.1f s",
        all.size(), min, mean, max);
  }

  @Override
  public void close() {
    sampler.shutdownNow();
  }
}
