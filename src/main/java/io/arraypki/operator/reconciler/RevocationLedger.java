package io.arraypki.operator.reconciler;

import io.arraypki.operator.k8s.Revocations;
import io.arraypki.operator.pki.Revocation;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the array's revocation ledger holds, from its two copies: the published one in the trust
 * ConfigMap (which members and tools read) and the kept one in the ledger Secret. Either may be
 * deleted or edited by a user; neither alone decides what is revoked. Pure: the reconciler reads
 * both copies, this decides, the applier writes the kept copy first, then the published one.
 *
 * <p>The rules: the ledger is the union of both copies' unexpired entries (a copy missing
 * entries is restored from the other, and said so); a corrupt copy beside a readable one is
 * rewritten from the readable one (everything it could have held that is still revocable is
 * re-derived from the issued Secrets, which are deleted only after both copies are written); a
 * corrupt copy with no readable one fails closed: nothing is published, revoked or removed
 * until a person repairs it.
 */
final class RevocationLedger {
  private RevocationLedger() {}

  /** Which copy an announcement is about. */
  enum Where {
    PUBLISHED,
    KEPT
  }

  /** Something the user should hear about the ledger, as an Event (and, failing closed, a condition). */
  sealed interface Finding {
    /** A copy is gone (its object or its key deleted) and is restored with the ledger's entries. */
    record CopyRestored(Where where, int entries) implements Finding {}

    /** A copy lacked entries the other held (someone edited it) and gets them back. */
    record EntriesRestored(Where where, int missing) implements Finding {}

    /** A copy does not parse; the other one does, and both are rewritten from it. */
    record CorruptCopyReplaced(Where where, String problem) implements Finding {}

    /** No copy can be read: nothing is revoked or published until it is repaired. */
    record Corrupt(Where where, String problem) implements Finding {}

    /** Both copies are gone from an array that had a CA: what was revoked before is not known. */
    record Lost() implements Finding {}
  }

  /**
   * The ledger's entries now (empty when failing closed), whether to fail closed, and the findings.
   */
  record Reading(List<Revocation> entries, boolean failClosed, List<Finding> findings) {
    Optional<Finding.Corrupt> corrupt() {
      return findings.stream().filter(f -> f instanceof Finding.Corrupt).map(f -> (Finding.Corrupt) f).findFirst();
    }
  }

  /**
   * @param published the trust ConfigMap's copy
   * @param kept the ledger Secret's copy
   * @param hadCa whether the array had a CA before this reconcile (only then is a lost ledger news)
   */
  static Reading read(Revocations.Copy published, Revocations.Copy kept, boolean hadCa, Instant now) {
    List<Finding> findings = new ArrayList<>();
    boolean publishedCorrupt = published instanceof Revocations.Copy.Corrupt;
    boolean keptCorrupt = kept instanceof Revocations.Copy.Corrupt;
    boolean publishedReadable = published instanceof Revocations.Copy.Parsed;
    boolean keptReadable = kept instanceof Revocations.Copy.Parsed;
    if ((publishedCorrupt || keptCorrupt) && !publishedReadable && !keptReadable) {
      Finding.Corrupt corrupt = publishedCorrupt
          ? new Finding.Corrupt(Where.PUBLISHED, ((Revocations.Copy.Corrupt) published).problem())
          : new Finding.Corrupt(Where.KEPT, ((Revocations.Copy.Corrupt) kept).problem());
      return new Reading(List.of(), true, List.of(corrupt));
    }
    Map<BigInteger, Revocation> publishedEntries = unexpired(published, now);
    Map<BigInteger, Revocation> keptEntries = unexpired(kept, now);
    Map<BigInteger, Revocation> union = new LinkedHashMap<>(keptEntries);
    publishedEntries.forEach(union::putIfAbsent);
    if (publishedCorrupt) {
      findings.add(new Finding.CorruptCopyReplaced(Where.PUBLISHED, ((Revocations.Copy.Corrupt) published).problem()));
    } else if (keptCorrupt) {
      findings.add(new Finding.CorruptCopyReplaced(Where.KEPT, ((Revocations.Copy.Corrupt) kept).problem()));
    }
    if (!publishedReadable && !keptReadable) {
      if (hadCa) {
        findings.add(new Finding.Lost());
      }
      return new Reading(List.of(), false, findings);
    }
    note(findings, Where.PUBLISHED, published, publishedEntries, union, hadCa);
    note(findings, Where.KEPT, kept, keptEntries, union, hadCa);
    return new Reading(List.copyOf(union.values()), false, findings);
  }

  private static void note(List<Finding> findings, Where where, Revocations.Copy copy,
      Map<BigInteger, Revocation> entries, Map<BigInteger, Revocation> union, boolean hadCa) {
    if (copy instanceof Revocations.Copy.Absent) {
      // a new array has neither copy yet; one made by a version without the kept copy gets it
      if (hadCa) {
        findings.add(new Finding.CopyRestored(where, union.size()));
      }
    } else if (copy instanceof Revocations.Copy.Parsed && entries.size() < union.size()) {
      findings.add(new Finding.EntriesRestored(where, union.size() - entries.size()));
    }
  }

  private static Map<BigInteger, Revocation> unexpired(Revocations.Copy copy, Instant now) {
    Map<BigInteger, Revocation> entries = new LinkedHashMap<>();
    Revocations.entries(copy).stream().filter(r -> r.notAfter().isAfter(now)).forEach(r -> entries.put(r.serial(), r));
    return entries;
  }
}
