package io.arraypki.operator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.RotationSpec;
import io.arraypki.operator.support.Arrays;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The benchmark behind {@code e2e/bench.sh}: on the local control plane, with the operator run by
 * {@code e2e/operator-as-serviceaccount.sh} (so its requests are told apart in the audit log by
 * its ServiceAccount), it measures the floor (the three writes per member the design needs, done
 * by one client with the operator's concurrency), issue and re-sign times, the operator's writes
 * per member and in a quiet period (from the API server's audit log), and the operator's live heap
 * and RSS with 10,000 unrelated Secrets and ConfigMaps in the cluster.
 */
public final class ClusterBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OPERATOR_USER = "system:serviceaccount:arraypki-least-privilege:arraypki-operator";
  private static final Set<String> WRITES = Set.of("create", "update", "patch", "delete", "deletecollection");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String UNRELATED_NAMESPACE = "bench-unrelated";

  private final KubernetesClient client;
  private final Path project;
  private final Path auditLogs;
  private final int nodes;
  private final int threads;
  private final int unrelated;
  private final int steadySeconds;
  private final int warmupNodes;
  private final String suffix = Long.toString(System.currentTimeMillis() % 1_000_000, 36);

  private ClusterBench(KubernetesClient client, Path project, Path auditLogs, int nodes, int threads, int unrelated,
      int steadySeconds, int warmupNodes) {
    this.client = client;
    this.project = project;
    this.auditLogs = auditLogs;
    this.nodes = nodes;
    this.threads = threads;
    this.unrelated = unrelated;
    this.steadySeconds = steadySeconds;
    this.warmupNodes = warmupNodes;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    Path project = Path.of(options.getOrDefault("project", ".")).toAbsolutePath();
    try (KubernetesClient client = new KubernetesClientBuilder().withHttpClientFactory(new JdkHttpClientFactory())
        .build()) {
      ClusterBench bench = new ClusterBench(client, project, Path.of(options.get("audit-logs")),
          Integer.parseInt(options.getOrDefault("nodes", "100")), Integer.parseInt(options.getOrDefault("threads", "16")),
          Integer.parseInt(options.getOrDefault("unrelated", "10000")),
          Integer.parseInt(options.getOrDefault("steady-seconds", "120")),
          Integer.parseInt(options.getOrDefault("warmup-nodes", "200")));
      bench.run(Path.of(options.getOrDefault("out", "target/bench/results.json")));
    }
  }

  private void run(Path out) throws Exception {
    Map<String, Object> results = new LinkedHashMap<>();
    results.put("nodes", nodes);
    results.put("threads", threads);
    results.put("warmup_nodes", warmupNodes);
    ensureUnrelatedObjects();

    // The operator watches the benchmark's namespaces and the one with the unrelated objects, not
    // the floor's, whose Nodes are none of its business. It is warmed up first (an operator runs
    // for long: its JIT has compiled what issuing needs), after the floor, during which it is idle.
    String warm = "bench-warmup-" + suffix;
    String ns = "bench-" + suffix;
    operator("start", String.join(",", UNRELATED_NAMESPACE, warm, ns));
    try {
      double floor = floor();
      results.put("floor_s", round(floor));
      if (warmupNodes > 0) {
        warmUp(warm);
      }
      namespace(ns);
      measure(ns, floor, results);
    } finally {
      operator("stop", "");
    }
    print(results, out);
  }

  /** Issue, a quiet period, re-sign and memory, in namespace {@code ns}. */
  private void measure(String ns, double floor, Map<String, Object> results) throws Exception {
    try (Watched ready = new Watched(client.resources(ArrayNode.class).inNamespace(ns).inform(), ClusterBench::ready);
        Watched signedByTwo = new Watched(client.secrets().inNamespace(ns).withLabel("arraypki.io/component", "peer")
            .inform(), s -> "2".equals(annotation(s, "arraypki.io/signed-by-generation")))) {
      Instant issueStart = Instant.now();
      long t0 = System.nanoTime();
      applyArray(ns, nodes);
      results.put("apply_s", round(seconds(t0)));
      ready.await(nodes, Duration.ofMinutes(30));
      double issue = seconds(t0);
      Instant issueEnd = Instant.now();
      results.put("issue_s", round(issue));
      results.put("issue_ratio", round(issue / floor));

      Thread.sleep(5_000); // audit entries reach the file in batches
      Map<String, Integer> issueWrites = operatorWrites(issueStart, issueEnd.plusSeconds(2));
      int issueTotal = issueWrites.values().stream().mapToInt(Integer::intValue).sum();
      results.put("writes_per_member", round((double) issueTotal / nodes));
      results.put("issue_writes_by_resource", issueWrites);

      Instant quietStart = Instant.now();
      Thread.sleep(steadySeconds * 1000L);
      Instant quietEnd = Instant.now();
      Thread.sleep(3_000);
      Map<String, Integer> steady = operatorWrites(quietStart, quietEnd);
      results.put("steady_seconds", steadySeconds);
      results.put("steady_writes", steady.values().stream().mapToInt(Integer::intValue).sum());
      results.put("steady_writes_by_resource", steady);

      Instant resignStart = Instant.now();
      long t1 = System.nanoTime();
      client.resources(ClusterArray.class).inNamespace(ns).withName("bench")
          .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"primary\":\"node-1\"}}");
      signedByTwo.await(nodes, Duration.ofMinutes(30));
      double resign = seconds(t1);
      Instant resignEnd = Instant.now();
      results.put("resign_s", round(resign));
      results.put("resign_ratio", round(resign / floor));
      Thread.sleep(5_000);
      results.put("resign_writes_by_resource", operatorWrites(resignStart, resignEnd));

      results.putAll(memory());
    } finally {
      // the operator removes its finalizers, so the namespace is deleted before it stops: no
      // leftover for the next run's operator to clean up inside that run's measurements
      client.namespaces().withName(ns).delete();
      client.namespaces().withName(ns).waitUntilCondition(java.util.Objects::isNull, 10,
          java.util.concurrent.TimeUnit.MINUTES);
    }
  }

  private void print(Map<String, Object> results, Path out) throws IOException {
    Files.createDirectories(out.getParent());
    Files.writeString(out, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(results) + "\n");
    System.out.printf(Locale.ROOT, "bench: nodes=%d issue_s=%s floor_s=%s issue_ratio=%s resign_s=%s resign_ratio=%s "
            + "writes_per_member=%s steady_writes=%s heap_mb=%s rss_mb=%s%n",
        nodes, results.get("issue_s"), results.get("floor_s"), results.get("issue_ratio"), results.get("resign_s"),
        results.get("resign_ratio"), results.get("writes_per_member"), results.get("steady_writes"),
        results.get("heap_mb"), results.get("rss_mb"));
  }

  // ------------------------------------------------------------------------------------ floor

  /**
   * The three writes per member the design needs, with the operator's concurrency and no
   * operator: create a Secret the size of a peer Secret, patch the Node's metadata (a finalizer),
   * patch the Node's status with a status the size of the operator's.
   */
  private double floor() throws Exception {
    String ns = namespace("bench-floor-" + suffix);
    try {
      parallel(nodes, i -> client.resource(Arrays.node(ns, "node-" + i, "floor")).create());
      Map<String, String> peerData = Map.of("ca.crt", randomBase64(558), "tls.crt", randomBase64(806),
          "tls.key", randomBase64(258));
      String status = floorStatus();
      long t0 = System.nanoTime();
      parallel(nodes, i -> {
        String name = "node-" + i;
        client.resource(new SecretBuilder().withNewMetadata().withName(name + "-peer-tls").withNamespace(ns)
            .addToLabels("app.kubernetes.io/managed-by", "bench").endMetadata().withType("kubernetes.io/tls")
            .withData(peerData).build()).create();
        client.resources(ArrayNode.class).inNamespace(ns).withName(name).patch(PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"finalizers\":[\"arraypki.io/finalizer\"]}}");
        client.resources(ArrayNode.class).inNamespace(ns).withName(name).subresource("status")
            .patch(PatchContext.of(PatchType.JSON_MERGE), status);
      });
      return seconds(t0);
    } finally {
      parallel(nodes, i -> client.resources(ArrayNode.class).inNamespace(ns).withName("node-" + i)
          .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"finalizers\":null}}"));
      client.namespaces().withName(ns).delete();
      // gone before the operator starts, so that none of its work is in the measured writes
      client.namespaces().withName(ns).waitUntilCondition(java.util.Objects::isNull, 5, java.util.concurrent.TimeUnit.MINUTES);
    }
  }

  /** A Node status as large as the operator writes for a Ready member. */
  private static String floorStatus() {
    String fingerprint = "SHA256:" + String.join(":", java.util.Collections.nCopies(32, "AB"));
    String time = Instant.now().toString();
    ObjectNode status = JSON.createObjectNode();
    ObjectNode s = status.putObject("status");
    s.put("caFingerprint", fingerprint).put("caShortFingerprint", "AB:AB:AB:AB").put("role", "Normal");
    ObjectNode peer = s.putObject("peerCertificate");
    peer.put("fingerprint", fingerprint).put("notAfter", time).put("notBefore", time).put("renewalTime", time)
        .put("secretName", "node-peer-tls").put("serialNumber", "49140474B18FD64D5A501F6B3FDF6B38");
    var conditions = s.putArray("conditions");
    for (String type : List.of("CertificateIssued", "Joined", "Ready", "TrustVerified")) {
      conditions.addObject().put("type", type).put("status", "True").put("reason", type).put("lastTransitionTime", time)
          .put("observedGeneration", 1).put("message", "peer certificate 49140474B18FD64D5A501F6B3FDF6B38 " + type);
    }
    return status.toString();
  }

  // ------------------------------------------------------------------------------------ the run

  private void applyArray(String ns, int members) throws Exception {
    ClusterArray array = Arrays.array(ns, "bench", "node-0");
    array.getSpec().rotation = new RotationSpec();
    array.getSpec().rotation.trustPropagationDelay = "0s";
    array.getSpec().rotation.overlap = "0s";
    client.resource(array).create();
    parallel(members, i -> client.resource(Arrays.node(ns, "node-" + i, "bench")).create());
  }

  /** The same work on a smaller array, unmeasured: issue, a primary change, delete. */
  private void warmUp(String ns) throws Exception {
    namespace(ns);
    try (Watched ready = new Watched(client.resources(ArrayNode.class).inNamespace(ns).inform(), ClusterBench::ready);
        Watched signedByTwo = new Watched(client.secrets().inNamespace(ns).withLabel("arraypki.io/component", "peer")
            .inform(), s -> "2".equals(annotation(s, "arraypki.io/signed-by-generation")))) {
      applyArray(ns, warmupNodes);
      ready.await(warmupNodes, Duration.ofMinutes(10));
      client.resources(ClusterArray.class).inNamespace(ns).withName("bench")
          .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"primary\":\"node-1\"}}");
      signedByTwo.await(warmupNodes, Duration.ofMinutes(10));
    } finally {
      client.namespaces().withName(ns).delete();
      client.namespaces().withName(ns).waitUntilCondition(java.util.Objects::isNull, 10,
          java.util.concurrent.TimeUnit.MINUTES);
    }
  }

  private static boolean ready(ArrayNode node) {
    return node.getStatus() != null && node.getStatus().conditions != null && node.getStatus().conditions.stream()
        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static String annotation(Secret secret, String key) {
    Map<String, String> annotations = secret.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }

  /** Writes of the operator's ServiceAccount in [from, to], by resource. */
  private Map<String, Integer> operatorWrites(Instant from, Instant to) throws IOException {
    Map<String, Integer> byResource = new java.util.TreeMap<>();
    List<Path> files;
    try (Stream<Path> list = Files.list(auditLogs)) {
      files = list.filter(f -> f.getFileName().toString().startsWith("audit")).toList();
    }
    for (Path file : files) {
      try (Stream<String> lines = Files.lines(file)) {
        for (String line : (Iterable<String>) lines::iterator) {
          if (!line.contains(OPERATOR_USER)) {
            continue;
          }
          JsonNode entry = JSON.readTree(line);
          Instant at = Instant.parse(entry.path("requestReceivedTimestamp").asText());
          if (!OPERATOR_USER.equals(entry.path("user").path("username").asText())
              || !WRITES.contains(entry.path("verb").asText()) || at.isBefore(from) || at.isAfter(to)) {
            continue;
          }
          JsonNode ref = entry.path("objectRef");
          String resource = ref.path("resource").asText()
              + (ref.path("subresource").asText().isEmpty() ? "" : "/" + ref.path("subresource").asText());
          byResource.merge(entry.path("verb").asText() + " " + resource, 1, Integer::sum);
        }
      }
    }
    return byResource;
  }

  /** Live heap after a full GC, and resident set size, of the operator's JVM. */
  private Map<String, Object> memory() throws Exception {
    Path pidFile = project.resolve("target/least-privilege/operator.pid");
    String launcher = Files.readString(pidFile).trim();
    String pid = command("pgrep", "-P", launcher).trim().lines().findFirst().orElse(launcher);
    command("jcmd", pid, "GC.run");
    String heapInfo = command("jcmd", pid, "GC.heap_info");
    var used = java.util.regex.Pattern.compile("used (\\d+)K").matcher(heapInfo);
    long heapKb = used.find() ? Long.parseLong(used.group(1)) : -1;
    long rssKb = Files.readAllLines(Path.of("/proc", pid, "status")).stream().filter(l -> l.startsWith("VmRSS:"))
        .map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(-1L);
    Map<String, Object> memory = new LinkedHashMap<>();
    memory.put("heap_mb", round(heapKb / 1024.0));
    memory.put("rss_mb", round(rssKb / 1024.0));
    memory.put("unrelated_objects", unrelated);
    return memory;
  }

  // ------------------------------------------------------------------------------------ setup

  /** Secrets and ConfigMaps that are none of the operator's business, half each, created once. */
  private void ensureUnrelatedObjects() throws Exception {
    String ns = UNRELATED_NAMESPACE;
    if (client.namespaces().withName(ns).get() == null) {
      namespace(ns);
    }
    int half = unrelated / 2;
    int secrets = client.secrets().inNamespace(ns).list().getItems().size();
    int configMaps = client.configMaps().inNamespace(ns).list().getItems().size();
    String payload = randomBase64(2048);
    if (secrets < half) {
      parallel(half - secrets, i -> client.resource(new SecretBuilder().withNewMetadata()
          .withName("unrelated-" + (secrets + i)).withNamespace(ns).endMetadata()
          .withData(Map.of("blob", payload)).build()).create());
    }
    int kubeRootCa = 1; // every namespace has kube-root-ca.crt
    if (configMaps < half + kubeRootCa) {
      parallel(half + kubeRootCa - configMaps, i -> client.resource(new ConfigMapBuilder().withNewMetadata()
          .withName("unrelated-" + (configMaps + i)).withNamespace(ns).endMetadata()
          .withData(Map.of("blob", payload)).build()).create());
    }
  }

  private String namespace(String name) {
    client.resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    return name;
  }

  private void operator(String action, String watchNamespaces) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("bash", project.resolve("e2e/operator-as-serviceaccount.sh").toString(),
        action).inheritIO();
    builder.environment().put("WATCH_NAMESPACES", watchNamespaces);
    Process process = builder.start();
    if (process.waitFor() != 0) {
      throw new IllegalStateException("e2e/operator-as-serviceaccount.sh " + action + " failed");
    }
  }

  private void parallel(int count, IntConsumerWithException work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      IntStream.range(0, count).forEach(i -> futures.add(pool.submit(() -> {
        work.accept(i);
        return null;
      })));
      for (Future<?> future : futures) {
        future.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @FunctionalInterface
  private interface IntConsumerWithException {
    void accept(int i) throws Exception;
  }

  private static String command(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    process.waitFor();
    return output;
  }

  private static String randomBase64(int bytes) {
    byte[] data = new byte[bytes];
    RANDOM.nextBytes(data);
    return Base64.getEncoder().encodeToString(data);
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static double round(double value) {
    return Math.round(value * 100) / 100.0;
  }

  /** Objects an informer sees that satisfy a predicate, counted as they change. */
  private static final class Watched implements AutoCloseable {
    private final SharedIndexInformer<?> informer;
    private final Set<String> matching = ConcurrentHashMap.newKeySet();

    <T extends io.fabric8.kubernetes.api.model.HasMetadata> Watched(SharedIndexInformer<T> informer,
        Predicate<T> predicate) {
      this.informer = informer;
      informer.addEventHandler(new ResourceEventHandler<T>() {
        @Override
        public void onAdd(T object) {
          update(object);
        }

        @Override
        public void onUpdate(T before, T object) {
          update(object);
        }

        @Override
        public void onDelete(T object, boolean unknown) {
          matching.remove(object.getMetadata().getName());
        }

        private void update(T object) {
          if (predicate.test(object)) {
            matching.add(object.getMetadata().getName());
          } else {
            matching.remove(object.getMetadata().getName());
          }
        }
      });
    }

    void await(int count, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (matching.size() < count) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("only " + matching.size() + " of " + count + " after " + timeout);
        }
        Thread.sleep(50);
      }
    }

    @Override
    public void close() {
      informer.close();
    }
  }
}
