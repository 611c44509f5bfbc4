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
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The benchmark behind {@code e2e/bench.sh}: on the local control plane, with the operator run by
 * {@code e2e/operator-as-serviceaccount.sh} (so its requests are told apart in the audit log by
 * its ServiceAccount) under the image's JVM flags and the chart's memory limit (bench.sh passes
 * them in {@code OPERATOR_JAVA_OPTS}), and with 10,000 unrelated Secrets and ConfigMaps in the
 * cluster, it measures N members spread evenly over A arrays ({@code --arrays}):
 *
 * <ul>
 *   <li>{@code issue_s}: from the first create (the arrays, then the Nodes, by {@code --threads}
 *       threads) until all N Nodes are Ready. {@code issue_ratio = issue_s / issue_floor_s}, the
 *       issue floor being one client with the operator's concurrency doing per member the three
 *       writes the job cannot do without: create the Node (the user's write), create a peer-sized
 *       Secret, patch a Ready-sized Node status.
 *   <li>{@code resign_s}: from changing every array's primary (to its second member) at once until
 *       every peer Secret is signed by CA generation 2. {@code resign_ratio = resign_s /
 *       resign_floor_s}, the resign floor being per member the three writes a zero-outage rotation
 *       needs, on Nodes and Secrets that exist: the Secret's {@code ca.crt} to a bundle of two CAs,
 *       the Secret's {@code tls.crt} and {@code tls.key} to a new certificate, the Node's status.
 *   <li>{@code writes_per_member} and {@code writes_per_member_resign}: the operator's writes (audit
 *       log) during issue and during resign, / N; {@code steady_writes}: its writes in a quiet
 *       period after issue.
 *   <li>{@code cpu_ms_per_member_issue} and {@code cpu_ms_per_member_resign}: the operator JVM's
 *       CPU time (user + system) over issue and over resign, / N.
 *   <li>{@code heap_mb}: live heap after a full GC at N (after issue and the quiet period, before
 *       resign); {@code heap_baseline_mb}: the same with no members (after the warm-up, before
 *       issue); {@code heap_kb_per_member}: their difference / N.
 *   <li>{@code rss_mb_after_issue} and {@code rss_mb} (at the end, after resign): the JVM's resident
 *       set, as a pod with the chart's memory limit would show it; {@code heap_committed_mb}: the
 *       heap's share of it at the end (what the generations hold from the OS, used or not), and
 *       target/bench/native-memory.txt the rest when the JVM runs with
 *       {@code -XX:NativeMemoryTracking=summary}; target/bench/heap-histogram-baseline.txt and
 *       heap-histogram-at-n.txt the live objects by class at the two heap measurements.
 * </ul>
 */
public final class ClusterBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OPERATOR_USER = "system:serviceaccount:arraypki-least-privilege:arraypki-operator";
  private static final Set<String> WRITES = Set.of("create", "update", "patch", "delete", "deletecollection");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String UNRELATED_NAMESPACE = "bench-unrelated";
  // the sizes of a peer Secret's entries as the operator writes them (ECDSA P-256)
  private static final int CA_BYTES = 558;
  private static final int CERTIFICATE_BYTES = 806;
  private static final int KEY_BYTES = 258;

  private final KubernetesClient client;
  private final Path project;
  private final Path auditLogs;
  private final int nodes;
  private final int arrays;
  private final int threads;
  private final int unrelated;
  private final int steadySeconds;
  private final int warmupNodes;
  private final String suffix = Long.toString(System.currentTimeMillis() % 1_000_000, 36);

  private ClusterBench(KubernetesClient client, Path project, Path auditLogs, int nodes, int arrays, int threads,
      int unrelated, int steadySeconds, int warmupNodes) {
    if (nodes < 2 * arrays) {
      // resign makes every array's second member its primary
      throw new IllegalArgumentException("--nodes " + nodes + " gives some of --arrays " + arrays
          + " fewer than two members");
    }
    this.client = client;
    this.project = project;
    this.auditLogs = auditLogs;
    this.nodes = nodes;
    this.arrays = arrays;
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
          Integer.parseInt(options.getOrDefault("nodes", "100")), Integer.parseInt(options.getOrDefault("arrays", "1")),
          Integer.parseInt(options.getOrDefault("threads", "16")),
          Integer.parseInt(options.getOrDefault("unrelated", "10000")),
          Integer.parseInt(options.getOrDefault("steady-seconds", "120")),
          Integer.parseInt(options.getOrDefault("warmup-nodes", "200")));
      bench.run(Path.of(options.getOrDefault("out", "target/bench/results.json")));
    }
  }

  private void run(Path out) throws Exception {
    Map<String, Object> results = new LinkedHashMap<>();
    results.put("nodes", nodes);
    results.put("arrays", arrays);
    results.put("threads", threads);
    results.put("warmup_nodes", warmupNodes);
    // inherited by the start script, which runs the operator's JVM with them
    results.put("jvm_options", System.getenv().getOrDefault("OPERATOR_JAVA_OPTS", ""));
    ensureUnrelatedObjects();

    // The operator watches the benchmark's namespaces and the one with the unrelated objects, not
    // the floors', whose Nodes are none of its business. It is warmed up first (an operator runs
    // for long: its JIT has compiled what issuing needs), after the floors, during which it is idle.
    String warm = "bench-warmup-" + suffix;
    String ns = "bench-" + suffix;
    operator("start", String.join(",", UNRELATED_NAMESPACE, warm, ns));
    try {
      OperatorJvm jvm = OperatorJvm.of(project);
      Floors floors = floors();
      results.put("issue_floor_s", round(floors.issueSeconds()));
      results.put("resign_floor_s", round(floors.resignSeconds()));
      if (warmupNodes > 0) {
        warmUp(warm);
      }
      // with the warm-up's namespace gone: what the operator holds with no members
      long baselineHeapKb = jvm.liveHeapKb();
      results.put("heap_baseline_mb", round(baselineHeapKb / 1024.0));
      Files.writeString(Path.of("target/bench/heap-histogram-baseline.txt"), jvm.heapHistogram());
      namespace(ns);
      measure(ns, floors, jvm, baselineHeapKb, results);
    } finally {
      operator("stop", "");
    }
    print(results, out);
  }

  /** Issue, a quiet period, re-sign, CPU and memory, in namespace {@code ns}. */
  private void measure(String ns, Floors floors, OperatorJvm jvm, long baselineHeapKb, Map<String, Object> results)
      throws Exception {
    try (Watched ready = new Watched(client.resources(ArrayNode.class).inNamespace(ns).inform(), ClusterBench::ready);
        Watched signedByTwo = new Watched(client.secrets().inNamespace(ns).withLabel("arraypki.io/component", "peer")
            .inform(), s -> "2".equals(annotation(s, "arraypki.io/signed-by-generation")))) {
      jvm.startRecording("issue");
      double cpuBeforeIssueMs = jvm.cpuMs();
      Map<String, OperatorJvm.ThreadCpu> threadsBeforeIssue = jvm.threadCpu();
      Instant issueStart = Instant.now();
      long t0 = System.nanoTime();
      applyArrays(ns, nodes, arrays);
      results.put("apply_s", round(seconds(t0)));
      ready.await(nodes, waitLimit(nodes));
      double issue = seconds(t0);
      double issueCpuMs = jvm.cpuMs() - cpuBeforeIssueMs;
      Map<String, Double> issueByThread = jvm.cpuMsPerMemberByGroup(threadsBeforeIssue, jvm.threadCpu(), nodes);
      long rssAfterIssueKb = jvm.rssKb();
      Instant issueEnd = Instant.now();
      jvm.stopRecording("issue");
      // the windows, so that a recording of the whole run (BENCH_EXTRA_JAVA_OPTS) can be cut to them
      results.put("issue_window", List.of(issueStart.toString(), issueEnd.toString()));
      results.put("issue_s", round(issue));
      results.put("issue_ratio", round(issue / floors.issueSeconds()));
      results.put("cpu_ms_per_member_issue", round(issueCpuMs / nodes));
      results.put("jit_cpu_ms_per_member_issue", issueByThread.getOrDefault("jit", 0.0));
      results.put("cpu_ms_per_member_issue_by_thread", issueByThread);
      results.put("rss_mb_after_issue", round(rssAfterIssueKb / 1024.0));

      Thread.sleep(5_000); // audit entries reach the file in batches
      Map<String, Integer> issueWrites = operatorWrites(issueStart, issueEnd.plusSeconds(2));
      results.put("writes_per_member", round((double) total(issueWrites) / nodes));
      results.put("issue_writes_by_resource", issueWrites);

      Instant quietStart = Instant.now();
      Thread.sleep(steadySeconds * 1000L);
      Instant quietEnd = Instant.now();
      Thread.sleep(3_000);
      Map<String, Integer> steady = operatorWrites(quietStart, quietEnd);
      results.put("steady_seconds", steadySeconds);
      results.put("steady_writes", total(steady));
      results.put("steady_writes_by_resource", steady);

      // after the quiet period, so that the forced full GC is in none of the measured windows
      long heapKb = jvm.liveHeapKb();
      results.put("heap_mb", round(heapKb / 1024.0));
      results.put("heap_kb_per_member", round((double) (heapKb - baselineHeapKb) / nodes));
      Files.writeString(Path.of("target/bench/heap-histogram-at-n.txt"), jvm.heapHistogram());

      jvm.startRecording("resign");
      double cpuBeforeResignMs = jvm.cpuMs();
      Map<String, OperatorJvm.ThreadCpu> threadsBeforeResign = jvm.threadCpu();
      Instant resignStart = Instant.now();
      long t1 = System.nanoTime();
      changePrimaries(ns, arrays);
      signedByTwo.await(nodes, waitLimit(nodes));
      double resign = seconds(t1);
      double resignCpuMs = jvm.cpuMs() - cpuBeforeResignMs;
      Map<String, Double> resignByThread = jvm.cpuMsPerMemberByGroup(threadsBeforeResign, jvm.threadCpu(), nodes);
      Instant resignEnd = Instant.now();
      jvm.stopRecording("resign");
      results.put("resign_window", List.of(resignStart.toString(), resignEnd.toString()));
      results.put("resign_s", round(resign));
      results.put("resign_ratio", round(resign / floors.resignSeconds()));
      results.put("cpu_ms_per_member_resign", round(resignCpuMs / nodes));
      results.put("jit_cpu_ms_per_member_resign", resignByThread.getOrDefault("jit", 0.0));
      results.put("cpu_ms_per_member_resign_by_thread", resignByThread);
      Thread.sleep(5_000);
      Map<String, Integer> resignWrites = operatorWrites(resignStart, resignEnd);
      results.put("writes_per_member_resign", round((double) total(resignWrites) / nodes));
      results.put("resign_writes_by_resource", resignWrites);

      // no forced GC first: a full GC can give heap back to the OS, which a pod's RSS has not seen
      results.put("rss_mb", round(jvm.rssKb() / 1024.0));
      results.put("heap_committed_mb", round(jvm.committedHeapKb() / 1024.0));
      // where the resident set goes, when the JVM tracks it (BENCH_EXTRA_JAVA_OPTS=-XX:NativeMemoryTracking=summary)
      Files.writeString(Path.of("target/bench/native-memory.txt"), jvm.nativeMemorySummary());
      results.put("unrelated_objects", unrelated);
    } finally {
      // while the operator still runs, so that whatever finalizers it keeps are removed and the
      // next run's operator has no leftover to clean up inside that run's measurements
      deleteNamespace(ns, nodes);
    }
  }

  private void print(Map<String, Object> results, Path out) throws IOException {
    Files.createDirectories(out.getParent());
    Files.writeString(out, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(results) + "\n");
    System.out.println("bench jvm_options: " + results.get("jvm_options"));
    System.out.println("bench: " + Stream.of("nodes", "arrays", "issue_s", "issue_floor_s", "issue_ratio", "resign_s",
            "resign_floor_s", "resign_ratio", "writes_per_member", "steady_writes", "cpu_ms_per_member_issue",
            "jit_cpu_ms_per_member_issue", "cpu_ms_per_member_resign", "jit_cpu_ms_per_member_resign", "heap_mb", "heap_kb_per_member", "rss_mb")
        .map(key -> key + "=" + results.get(key)).collect(Collectors.joining(" ")));
  }

  // ------------------------------------------------------------------------------------ floors

  /** Seconds of the issue floor and of the resign floor. */
  private record Floors(double issueSeconds, double resignSeconds) {}

  /**
   * The writes per member that issue and rotation cannot do without, with the operator's
   * concurrency and no operator, in a namespace the operator does not watch.
   */
  private Floors floors() throws Exception {
    String ns = namespace("bench-floor-" + suffix);
    try {
      double issue = issueFloor(ns);
      // the issue floor's Nodes and Secrets, there by now, are the resign floor's (untimed) setup
      double resign = resignFloor(ns);
      return new Floors(issue, resign);
    } finally {
      // gone before the warm-up, so that the API server has no deletion left to do in the measurements
      deleteNamespace(ns, nodes);
    }
  }

  /**
   * Issue: per member, create the Node (what the user does), create a Secret the size of a peer
   * Secret, patch the Node's status with a status the size of the operator's for a Ready member.
   */
  private double issueFloor(String ns) throws Exception {
    Map<String, String> peerData = Map.of("ca.crt", randomBase64(CA_BYTES), "tls.crt", randomBase64(CERTIFICATE_BYTES),
        "tls.key", randomBase64(KEY_BYTES));
    String status = floorStatus(1);
    long t0 = System.nanoTime();
    parallel(nodes, i -> {
      String name = "node-" + i;
      client.resource(Arrays.node(ns, name, "floor")).create();
      client.resource(new SecretBuilder().withNewMetadata().withName(peerSecret(name)).withNamespace(ns)
          .addToLabels("app.kubernetes.io/managed-by", "bench").endMetadata().withType("kubernetes.io/tls")
          .withData(peerData).build()).create();
      client.resources(ArrayNode.class).inNamespace(ns).withName(name).subresource("status")
          .patch(PatchContext.of(PatchType.JSON_MERGE), status);
    });
    return seconds(t0);
  }

  /**
   * Rotation without an outage, on existing Nodes and Secrets: per member, patch the Secret's
   * {@code ca.crt} to a bundle of the old and the new CA, patch the Secret's {@code tls.crt} and
   * {@code tls.key} to a certificate from the new CA, patch the Node's status.
   */
  private double resignFloor(String ns) throws Exception {
    String bundle = dataPatch(Map.of("ca.crt", randomBase64(2 * CA_BYTES)));
    String certificate = dataPatch(Map.of("tls.crt", randomBase64(CERTIFICATE_BYTES), "tls.key",
        randomBase64(KEY_BYTES)));
    String status = floorStatus(2); // another CA's fingerprint: a write that changes the status
    long t0 = System.nanoTime();
    parallel(nodes, i -> {
      String name = "node-" + i;
      client.secrets().inNamespace(ns).withName(peerSecret(name)).patch(PatchContext.of(PatchType.JSON_MERGE), bundle);
      client.secrets().inNamespace(ns).withName(peerSecret(name))
          .patch(PatchContext.of(PatchType.JSON_MERGE), certificate);
      client.resources(ArrayNode.class).inNamespace(ns).withName(name).subresource("status")
          .patch(PatchContext.of(PatchType.JSON_MERGE), status);
    });
    return seconds(t0);
  }

  private static String peerSecret(String node) {
    return node + "-peer-tls";
  }

  private static String dataPatch(Map<String, String> data) {
    ObjectNode patch = JSON.createObjectNode();
    data.forEach(patch.putObject("data")::put);
    return patch.toString();
  }

  /** A Node status as large as the operator writes for a Ready member, of CA generation {@code ca}. */
  private static String floorStatus(int ca) {
    String fingerprintByte = String.format(Locale.ROOT, "%02X", 0xA0 + ca);
    String fingerprint = "SHA256:" + String.join(":", java.util.Collections.nCopies(32, fingerprintByte));
    String serial = fingerprintByte + "140474B18FD64D5A501F6B3FDF6B38";
    String time = Instant.now().toString();
    ObjectNode status = JSON.createObjectNode();
    ObjectNode s = status.putObject("status");
    s.put("caFingerprint", fingerprint).put("caShortFingerprint", String.join(":", java.util.Collections.nCopies(4,
        fingerprintByte))).put("role", "Normal");
    ObjectNode peer = s.putObject("peerCertificate");
    peer.put("fingerprint", fingerprint).put("notAfter", time).put("notBefore", time).put("renewalTime", time)
        .put("secretName", "node-peer-tls").put("serialNumber", serial);
    var conditions = s.putArray("conditions");
    for (String type : List.of("CertificateIssued", "Joined", "Ready", "TrustVerified")) {
      conditions.addObject().put("type", type).put("status", "True").put("reason", type).put("lastTransitionTime", time)
          .put("observedGeneration", 1).put("message", "peer certificate " + serial + " " + type);
    }
    return status.toString();
  }

  // ------------------------------------------------------------------------------------ the run

  private static String arrayName(int array) {
    return "bench-" + array;
  }

  /** Member {@code index} of array {@code array}: unique in the namespace across arrays. */
  private static String memberName(int array, int index) {
    return "a" + array + "-node-" + index;
  }

  /** {@code arrayCount} arrays, then {@code members} Nodes dealt over them in turn. */
  private void applyArrays(String ns, int members, int arrayCount) throws Exception {
    parallel(arrayCount, a -> {
      ClusterArray array = Arrays.array(ns, arrayName(a), memberName(a, 0));
      array.getSpec().rotation = new RotationSpec();
      array.getSpec().rotation.trustPropagationDelay = "0s";
      array.getSpec().rotation.overlap = "0s";
      client.resource(array).create();
    });
    parallel(members, i -> client.resource(Arrays.node(ns, memberName(i % arrayCount, i / arrayCount),
        arrayName(i % arrayCount))).create());
  }

  /** Every array's second member becomes its primary, all at once. */
  private void changePrimaries(String ns, int arrayCount) throws Exception {
    parallel(arrayCount, a -> client.resources(ClusterArray.class).inNamespace(ns).withName(arrayName(a))
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"primary\":\"" + memberName(a, 1) + "\"}}"));
  }

  /** The same work on one array, unmeasured: issue, a primary change, delete. */
  private void warmUp(String ns) throws Exception {
    namespace(ns);
    try (Watched ready = new Watched(client.resources(ArrayNode.class).inNamespace(ns).inform(), ClusterBench::ready);
        Watched signedByTwo = new Watched(client.secrets().inNamespace(ns).withLabel("arraypki.io/component", "peer")
            .inform(), s -> "2".equals(annotation(s, "arraypki.io/signed-by-generation")))) {
      applyArrays(ns, warmupNodes, 1);
      ready.await(warmupNodes, waitLimit(warmupNodes));
      changePrimaries(ns, 1);
      signedByTwo.await(warmupNodes, waitLimit(warmupNodes));
    } finally {
      deleteNamespace(ns, warmupNodes);
    }
  }

  /** How long a step over {@code members} members may take: an hour at 10,000. */
  private static Duration waitLimit(int members) {
    return Duration.ofMinutes(Math.max(30, members * 6L / 1000));
  }

  private static boolean ready(ArrayNode node) {
    return node.getStatus() != null && node.getStatus().conditions != null && node.getStatus().conditions.stream()
        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static String annotation(Secret secret, String key) {
    Map<String, String> annotations = secret.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }

  private static int total(Map<String, Integer> writes) {
    return writes.values().stream().mapToInt(Integer::intValue).sum();
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

  /** The operator's JVM, a child of the launcher whose pid the start script writes, and its meters. */
  private record OperatorJvm(String pid, long clockTicksPerSecond) {
    private static final String RECORDING_SETTINGS = System.getenv().getOrDefault("BENCH_RECORD", "");

    static OperatorJvm of(Path project) throws Exception {
      String launcher = Files.readString(project.resolve("target/least-privilege/operator.pid")).trim();
      String pid = command("pgrep", "-P", launcher).trim().lines().findFirst().orElse(launcher);
      return new OperatorJvm(pid, Long.parseLong(command("getconf", "CLK_TCK").trim()));
    }

    /** User plus system CPU time of all its threads so far. */
    double cpuMs() throws IOException {
      return cpuTicks(Files.readString(Path.of("/proc", pid, "stat"))) * 1000.0 / clockTicksPerSecond;
    }

    /** utime + stime of a process's or a thread's stat line (fields 14 and 15), in clock ticks. */
    private static long cpuTicks(String stat) {
      // field 2, the command, is in parentheses and may hold spaces: fields[0] is field 3
      String[] fields = stat.substring(stat.lastIndexOf(')') + 1).trim().split(" +");
      return Long.parseLong(fields[14 - 3]) + Long.parseLong(fields[15 - 3]);
    }

    /** One thread's name (as Linux keeps it: the first 15 characters) and CPU ticks so far. */
    record ThreadCpu(String name, long ticks) {}

    /** Every live thread's name and CPU ticks, by thread id. */
    Map<String, ThreadCpu> threadCpu() throws IOException {
      Map<String, ThreadCpu> threads = new HashMap<>();
      try (var tasks = Files.list(Path.of("/proc", pid, "task"))) {
        for (Path task : tasks.toList()) {
          String stat;
          try {
            stat = Files.readString(task.resolve("stat"));
          } catch (IOException gone) {
            continue; // the thread ended
          }
          threads.put(task.getFileName().toString(),
              new ThreadCpu(stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')), cpuTicks(stat)));
        }
      }
      return threads;
    }

    /**
     * CPU ms per member between two reads, by what the threads do: "reconcile" (JOSDK's
     * executors, named pool-N-thread-M, or ReconcilerExecutor-... while they reconcile), "http"
     * (the JDK HTTP client's pool and selector: watch events, responses, TLS), "informer"
     * (Fabric8's handler pool, named after a hash code: cache updates and event dispatch), "jit"
     * (C1 and C2), "gc" (the serial collector runs in the VM Thread) and "other". A thread is
     * counted by its id, and JOSDK's renaming keeps it in its group; one that ended between the reads is
     * missing (the groups' sum is then below the process's CPU).
     */
    Map<String, Double> cpuMsPerMemberByGroup(Map<String, ThreadCpu> before, Map<String, ThreadCpu> after,
        int members) {
      Map<String, Double> ms = new TreeMap<>();
      after.forEach((tid, now) -> {
        ThreadCpu then = before.get(tid);
        long ticks = now.ticks() - (then == null ? 0 : then.ticks());
        ms.merge(threadGroup(now.name()), ticks * 1000.0 / clockTicksPerSecond, Double::sum);
      });
      ms.replaceAll((group, total) -> round(total / members));
      return ms;
    }

    private static String threadGroup(String name) {
      if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
        return "jit";
      }
      if (name.startsWith("pool-") || name.startsWith("ReconcilerExec")) {
        return "reconcile";
      }
      if (name.startsWith("JdkHttpClient") || name.startsWith("HttpClient-")) {
        return "http";
      }
      if (name.equals("VM Thread")) {
        return "gc";
      }
      if (name.matches("-?\\d+-.*")) { // "-1631717345-pool-3-thread-1", cut to "-1631717345-poo"
        return "informer";
      }
      return "other";
    }

    /** Live heap after a full GC, or -1 if jcmd reports none. */
    long liveHeapKb() throws Exception {
      command("jcmd", pid, "GC.run");
      String heapInfo = command("jcmd", pid, "GC.heap_info");
      // one "total ..K, used ..K" line for G1's heap, one per generation for Serial and Parallel;
      // Metaspace's line has no total
      var used = java.util.regex.Pattern.compile("total \\d+K, used (\\d+)K").matcher(heapInfo);
      long kb = -1;
      while (used.find()) {
        kb = Math.max(kb, 0) + Long.parseLong(used.group(1));
      }
      return kb;
    }

    /** The heap the JVM holds from the OS now (the generations' totals), with no GC first. */
    long committedHeapKb() throws Exception {
      var total = java.util.regex.Pattern.compile("total (\\d+)K, used \\d+K").matcher(command("jcmd", pid, "GC.heap_info"));
      long kb = 0;
      while (total.find()) {
        kb += Long.parseLong(total.group(1));
      }
      return kb;
    }

    /** The live objects by class, largest first (jcmd collects the heap first). */
    String heapHistogram() throws Exception {
      return command("jcmd", pid, "GC.class_histogram");
    }

    /** jcmd's native memory summary (a one-line refusal when tracking is off). */
    String nativeMemorySummary() throws Exception {
      return command("jcmd", pid, "VM.native_memory", "summary");
    }

    /**
     * Starts a JFR recording of one measured window when BENCH_RECORD is set (a JFR settings
     * name, "profile" say); the recording's own cost is then in that window's figures.
     */
    void startRecording(String window) throws Exception {
      if (!RECORDING_SETTINGS.isBlank()) {
        command("jcmd", pid, "JFR.start", "name=" + window, "settings=" + RECORDING_SETTINGS);
      }
    }

    /** Writes the window's recording to target/bench/{window}.jfr, if one was started. */
    void stopRecording(String window) throws Exception {
      if (!RECORDING_SETTINGS.isBlank()) {
        command("jcmd", pid, "JFR.stop", "name=" + window,
            "filename=" + Path.of("target/bench/" + window + ".jfr").toAbsolutePath());
      }
    }

    /** Resident set size (/proc/[pid]/status VmRSS). */
    long rssKb() throws IOException {
      return Files.readAllLines(Path.of("/proc", pid, "status")).stream().filter(l -> l.startsWith("VmRSS:"))
          .map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(-1L);
    }
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

  /** Deletes a namespace of {@code members} members and waits until it is gone. */
  private void deleteNamespace(String name, int members) {
    client.namespaces().withName(name).delete();
    client.namespaces().withName(name).waitUntilCondition(java.util.Objects::isNull, waitLimit(members).toMinutes(),
        java.util.concurrent.TimeUnit.MINUTES);
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
