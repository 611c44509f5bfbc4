package io.arraypki.operator.k8s;

import com.fasterxml.jackson.core.type.TypeReference;
import io.arraypki.operator.pki.Revocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The array's revocation ledger, kept as {@code revocations.json} in the trust ConfigMap: the
 * durable source the CRLs are signed from. Serials are public; nothing secret is in it.
 */
public final class Revocations {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Revocations() {}

  /** One entry as JSON. */
  public record Entry(String serial, long caGeneration, String revokedAt, String notAfter, String node, String reason) {
    static Entry of(Revocation r) {
      return new Entry(r.serial().toString(16).toUpperCase(java.util.Locale.ROOT), r.caGeneration(),
          Conditions.timestamp(r.revokedAt()), Conditions.timestamp(r.notAfter()), r.node(), r.reason());
    }

    Revocation toRevocation() {
      return new Revocation(new BigInteger(serial, 16), caGeneration, Instant.parse(revokedAt),
          Instant.parse(notAfter), node, reason);
    }
  }

  public static List<Revocation> parse(String json) {
    if (json == null || json.isBlank()) {
      return List.of();
    }
    return PARSED.get(json, Revocations::parseLedger);
  }

  /** Every Node reconcile reads its array's ledger; it changes only when something is revoked. */
  private static final io.arraypki.operator.pki.RecentAnswers<String, List<Revocation>> PARSED =
      new io.arraypki.operator.pki.RecentAnswers<>(64);

  private static List<Revocation> parseLedger(String json) {
    try {
      List<Entry> entries = JSON.readValue(json, new TypeReference<List<Entry>>() {});
      return entries.stream().map(Entry::toRevocation).toList();
    } catch (JsonProcessingException | RuntimeException e) {
      return List.of();
    }
  }

  /** Sorted, one line per entry, so that the same ledger always has the same text. */
  public static String format(List<Revocation> revocations) {
    List<Entry> entries = new ArrayList<>(revocations.stream().map(Entry::of).toList());
    entries.sort(Comparator.comparing(Entry::serial));
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < entries.size(); i++) {
      try {
        out.append(i == 0 ? "\n  " : ",\n  ").append(JSON.writeValueAsString(entries.get(i)));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
    return out.append(entries.isEmpty() ? "]" : "\n]").append('\n').toString();
  }

  /**
   * The superseded-certificate annotation of an issued Secret:
   * {@code serial/generation/notAfter/supersededAt,...} (epoch seconds). The time a certificate
   * was replaced is kept so that it is revoked only once its member has had the time to load the
   * replacement; an entry written before that field existed counts as replaced at {@code revokedAt}.
   */
  public static List<Revocation> parseSuperseded(String annotation, String node, Instant revokedAt) {
    List<Revocation> result = new ArrayList<>();
    if (annotation == null || annotation.isBlank()) {
      return result;
    }
    for (String item : annotation.split(",")) {
      String[] parts = item.trim().split("/");
      if (parts.length != 3 && parts.length != 4) {
        continue;
      }
      try {
        Instant supersededAt = parts.length == 4 ? Instant.ofEpochSecond(Long.parseLong(parts[3])) : revokedAt;
        result.add(new Revocation(new BigInteger(parts[0], 16), Long.parseLong(parts[1]), supersededAt,
            Instant.ofEpochSecond(Long.parseLong(parts[2])), node, "Renewed"));
      } catch (RuntimeException e) {
        // an entry someone mangled is skipped; the others still count
      }
    }
    return result;
  }

  public static String formatSuperseded(List<Revocation> revocations) {
    return String.join(",", revocations.stream()
        .map(r -> r.serial().toString(16).toUpperCase(java.util.Locale.ROOT) + "/" + r.caGeneration() + "/"
            + r.notAfter().getEpochSecond() + "/" + r.revokedAt().getEpochSecond())
        .toList());
  }
}
