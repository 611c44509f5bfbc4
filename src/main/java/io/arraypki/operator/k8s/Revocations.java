package io.arraypki.operator.k8s;

import com.fasterxml.jackson.core.type.TypeReference;
import io.arraypki.operator.pki.Revocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The array's revocation ledger as JSON, {@code revocations.json}: the durable source the CRLs are
 * signed from, kept in two copies (the trust ConfigMap and the ledger Secret) so that the loss or
 * an edit of either one revokes nothing less. Serials are public; nothing secret is in it.
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
      if (serial == null || revokedAt == null || notAfter == null) {
        throw new IllegalArgumentException("serial, revokedAt and notAfter are required");
      }
      return new Revocation(new BigInteger(serial, 16), caGeneration, Instant.parse(revokedAt),
          Instant.parse(notAfter), node, reason);
    }
  }

  /**
   * A copy of the ledger as read: absent, parsed, or corrupt (with what is wrong). A corrupt copy
   * is never read as empty: that would publish a CRL without the serials it held.
   */
  public sealed interface Copy {
    record Absent() implements Copy {}

    record Parsed(List<Revocation> entries) implements Copy {}

    record Corrupt(String problem) implements Copy {}
  }

  public static Copy read(String json) {
    if (json == null) {
      return new Copy.Absent();
    }
    return PARSED.get(json, Revocations::parseLedger);
  }

  /** The entries of a parsed copy; none for an absent or corrupt one (for views that only read). */
  public static List<Revocation> entries(Copy copy) {
    return copy instanceof Copy.Parsed parsed ? parsed.entries() : List.of();
  }

  /** Every Node reconcile reads its array's ledger; it changes only when something is revoked. */
  private static final io.arraypki.operator.pki.RecentAnswers<String, Copy> PARSED =
      new io.arraypki.operator.pki.RecentAnswers<>(64);

  private static Copy parseLedger(String json) {
    if (json.isBlank()) {
      return new Copy.Corrupt("it is empty");
    }
    try {
      List<Entry> entries = JSON.readValue(json, new TypeReference<List<Entry>>() {});
      List<Revocation> result = new ArrayList<>();
      for (int i = 0; i < entries.size(); i++) {
        try {
          result.add(entries.get(i).toRevocation());
        } catch (RuntimeException e) {
          return new Copy.Corrupt("entry " + (i + 1) + " does not parse: " + e.getMessage());
        }
      }
      return new Copy.Parsed(List.copyOf(result));
    } catch (JsonProcessingException | RuntimeException e) {
      return new Copy.Corrupt("it is not a JSON list of revocations: " + firstLine(e.getMessage()));
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  /** The kept copy's key in the ledger Secret, the same as in the trust ConfigMap. */
  public static final String LEDGER_KEY = TrustConfigMaps.REVOCATIONS_JSON;

  /** The kept copy of the ledger, {@code <array>-revocations}, as it should be. */
  public static Secret keptCopy(HasMetadata array, List<Revocation> revocations) {
    String name = array.getMetadata().getName();
    return new SecretBuilder()
        .withMetadata(ManagedObjects.metadata(Names.revocationLedgerSecret(name), array, name, null,
            Labels.COMPONENT_LEDGER, Map.of(), Map.of()))
        .withType("Opaque")
        .withData(Map.of(LEDGER_KEY, SecretData.encode(format(revocations))))
        .build();
  }

  /** The kept copy as read (absent with the Secret or its key). */
  public static Copy kept(Optional<Secret> secret) {
    return read(secret.flatMap(s -> SecretData.text(s, LEDGER_KEY)).orElse(null));
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
