package io.arraypki.operator.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The local control plane's audit log (e2e/local-cluster.sh: every create, update, patch and delete
 * but of Leases, with the client's user agent) from the moment this reader was made: who wrote
 * what. The operator JVMs of {@link OperatorProcess} each send a user agent of their own.
 */
public final class AuditLog {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> WRITES = Set.of("create", "update", "patch", "delete", "deletecollection");

  private final Path dir;
  private final long offset;

  private AuditLog(Path dir, long offset) {
    this.dir = dir;
    this.offset = offset;
  }

  /** What the API server writes to its audit log from now on. */
  public static AuditLog fromNow() {
    Path dir = LocalControlPlane.kubeconfig().getParent().resolve("logs");
    try {
      return new AuditLog(dir, Files.size(dir.resolve("audit.log")));
    } catch (IOException e) {
      throw new AssertionError("no audit log in " + dir + " (is this the local control plane?)", e);
    }
  }

  /** User agent -> the writes it made in {@code namespace} since this reader was made ("verb resource/name"). */
  public Map<String, List<String>> writersIn(String namespace) {
    Map<String, List<String>> writers = new TreeMap<>();
    String marker = "\"namespace\":\"" + namespace + "\"";
    for (String line : lines()) {
      if (!line.contains(marker)) {
        continue;
      }
      try {
        JsonNode entry = JSON.readTree(line);
        JsonNode ref = entry.path("objectRef");
        if (!namespace.equals(ref.path("namespace").asText()) || !WRITES.contains(entry.path("verb").asText())
            || !"ResponseComplete".equals(entry.path("stage").asText())) {
          continue;
        }
        writers.computeIfAbsent(entry.path("userAgent").asText(), k -> new ArrayList<>())
            .add(entry.path("verb").asText() + " " + ref.path("resource").asText()
                + (ref.has("subresource") ? "/" + ref.path("subresource").asText() : "") + "/"
                + ref.path("name").asText());
      } catch (IOException e) {
        // a line the API server is still writing: the next read sees it whole
      }
    }
    return writers;
  }

  /**
   * Who wrote in {@code namespace} since this reader was made, and how often: for the failure
   * message of a test that had every operator stopped (the in-process operators' user agents are
   * arraypki-test-fresh-operator-n, {@link OperatorUnderTest#FRESH_AGENT}).
   */
  public Map<String, Integer> writeCountsIn(String namespace) {
    Map<String, Integer> counts = new TreeMap<>();
    writersIn(namespace).forEach((agent, writes) -> counts.put(agent, writes.size()));
    return counts;
  }

  /** The lines written since this reader was made; across one rotation (audit.log renamed to audit-<time>.log). */
  private List<String> lines() {
    try {
      Path current = dir.resolve("audit.log");
      List<String> lines = new ArrayList<>();
      if (Files.size(current) < offset) {
        Path rotated;
        try (Stream<Path> files = Files.list(dir)) {
          rotated = files.filter(f -> f.getFileName().toString().matches("audit-.*\\.log"))
              .max(Comparator.comparing(f -> f.toFile().lastModified())).orElseThrow();
        }
        lines.addAll(read(rotated, offset));
        lines.addAll(read(current, 0));
      } else {
        lines.addAll(read(current, offset));
      }
      return lines;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> read(Path file, long from) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      in.skipNBytes(from);
      return List.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"));
    }
  }
}
