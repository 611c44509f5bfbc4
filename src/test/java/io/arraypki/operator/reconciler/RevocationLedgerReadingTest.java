package io.arraypki.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.k8s.Revocations;
import io.arraypki.operator.pki.Revocation;
import io.arraypki.operator.reconciler.RevocationLedger.Finding;
import io.arraypki.operator.reconciler.RevocationLedger.Where;
import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ledger from its two copies: a union, never less than either; fail closed when neither reads. */
class RevocationLedgerReadingTest {
  private static final Instant NOW = Instant.parse("2026-12-02T00:00:00Z");

  private static Revocation revoked(long serial, Instant notAfter) {
    return new Revocation(BigInteger.valueOf(serial), 1, NOW.minusSeconds(60), notAfter, "n" + serial, "Removed");
  }

  private static final Revocation A = revoked(0xA, NOW.plusSeconds(3600));
  private static final Revocation B = revoked(0xB, NOW.plusSeconds(3600));
  private static final Revocation EXPIRED = revoked(0xE, NOW.minusSeconds(1));

  private static Revocations.Copy copy(Revocation... entries) {
    return Revocations.read(Revocations.format(List.of(entries)));
  }

  @Test
  void equalCopiesGiveTheirUnexpiredEntriesAndNoFinding() {
    var reading = RevocationLedger.read(copy(A, B, EXPIRED), copy(A, B, EXPIRED), true, NOW);
    assertThat(reading.entries()).containsExactlyInAnyOrder(A, B);
    assertThat(reading.failClosed()).isFalse();
    assertThat(reading.findings()).isEmpty();
  }

  @Test
  void aDeletedTrustConfigMapGetsEveryEntryBackFromTheKeptCopy() {
    var reading = RevocationLedger.read(new Revocations.Copy.Absent(), copy(A, B), true, NOW);
    assertThat(reading.entries()).containsExactlyInAnyOrder(A, B);
    assertThat(reading.findings()).containsExactly(new Finding.CopyRestored(Where.PUBLISHED, 2));
  }

  @Test
  void anEntryEditedOutOfOneCopyIsRestoredFromTheOther() {
    var published = RevocationLedger.read(copy(A), copy(A, B), true, NOW);
    assertThat(published.entries()).containsExactlyInAnyOrder(A, B);
    assertThat(published.findings()).containsExactly(new Finding.EntriesRestored(Where.PUBLISHED, 1));
    var kept = RevocationLedger.read(copy(A, B), copy(B), true, NOW);
    assertThat(kept.entries()).containsExactlyInAnyOrder(A, B);
    assertThat(kept.findings()).containsExactly(new Finding.EntriesRestored(Where.KEPT, 1));
  }

  @Test
  void aCorruptCopyBesideAReadableOneIsReplacedByIt() {
    var reading = RevocationLedger.read(Revocations.read("[{\"serial\":"), copy(A), true, NOW);
    assertThat(reading.failClosed()).isFalse();
    assertThat(reading.entries()).containsExactly(A);
    assertThat(reading.findings()).singleElement().isInstanceOfSatisfying(Finding.CorruptCopyReplaced.class,
        f -> assertThat(f.where()).isEqualTo(Where.PUBLISHED));
  }

  @Test
  void oneBadEntryMakesTheCopyCorruptNotShorter() {
    String oneBad = "[{\"serial\":\"0A\",\"caGeneration\":1,\"revokedAt\":\"2026-12-01T00:00:00Z\","
        + "\"notAfter\":\"2027-01-01T00:00:00Z\",\"node\":\"n\",\"reason\":\"Removed\"},"
        + "{\"serial\":\"zz\",\"caGeneration\":1}]";
    assertThat(Revocations.read(oneBad)).isInstanceOf(Revocations.Copy.Corrupt.class);
    assertThat(Revocations.read("")).isInstanceOf(Revocations.Copy.Corrupt.class);
    assertThat(Revocations.read("{}")).isInstanceOf(Revocations.Copy.Corrupt.class);
  }

  @Test
  void noReadableCopyFailsClosedWithNothingToPublish() {
    var corruptAndAbsent = RevocationLedger.read(Revocations.read("not json"), new Revocations.Copy.Absent(), true, NOW);
    assertThat(corruptAndAbsent.failClosed()).isTrue();
    assertThat(corruptAndAbsent.corrupt()).hasValueSatisfying(c -> assertThat(c.where()).isEqualTo(Where.PUBLISHED));
    var bothCorrupt = RevocationLedger.read(Revocations.read("[1]"), Revocations.read("x"), true, NOW);
    assertThat(bothCorrupt.failClosed()).isTrue();
  }

  @Test
  void aNewArrayHasNoCopyAndNothingToSayButALostLedgerIsReported() {
    var fresh = RevocationLedger.read(new Revocations.Copy.Absent(), new Revocations.Copy.Absent(), false, NOW);
    assertThat(fresh.findings()).isEmpty();
    assertThat(fresh.failClosed()).isFalse();
    var lost = RevocationLedger.read(new Revocations.Copy.Absent(), new Revocations.Copy.Absent(), true, NOW);
    assertThat(lost.findings()).containsExactly(new Finding.Lost());
  }

  @Test
  void anArrayFromBeforeTheKeptCopyGetsOneWithoutAWarning() {
    var reading = RevocationLedger.read(copy(A), new Revocations.Copy.Absent(), true, NOW);
    assertThat(reading.entries()).containsExactly(A);
    assertThat(reading.findings()).containsExactly(new Finding.CopyRestored(Where.KEPT, 1));
  }
}
