package io.arraypki.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.TrustConfirmationStatus;
import io.arraypki.operator.api.TrustState;
import io.arraypki.operator.k8s.TrustLeases;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A member's trust state from its Lease against what its Secret holds. */
class ConfirmationCheckTest {
  private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
  private static final Duration TIMEOUT = Duration.ofMinutes(3);
  private static final String OLD = "sha256:" + "aa".repeat(32);
  private static final String NEW = "sha256:" + "bb".repeat(32);
  private static final ConfirmationCheck.Expected BOTH_CAS_LEAF_2 =
      new ConfirmationCheck.Expected(Set.of(OLD, NEW), BigInteger.TWO);

  private static Optional<TrustLeases.Confirmation> confirmed(Set<String> cas, long serial) {
    return Optional.of(new TrustLeases.Confirmation(cas, Set.of(BigInteger.valueOf(serial)),
        NOW.minusSeconds(10), "member-a"));
  }

  @Test
  void aMemberThatLoadedEveryCaOfItsBundleAndItsCertificateIsCurrent() {
    var outcome = ConfirmationCheck.check("a-trust", confirmed(Set.of(OLD, NEW), 2), BOTH_CAS_LEAF_2, null, TIMEOUT,
        NOW);
    assertThat(outcome.status().state).isEqualTo(TrustState.Current);
    assertThat(outcome.status().trustedCAs).containsExactly("AA:AA:AA:AA", "BB:BB:BB:BB");
    assertThat(outcome.status().leafSerials).hasSize(1);
    assertThat(outcome.status().confirmedBy).isEqualTo("member-a");
    assertThat(outcome.status().behindSince).isNull();
    assertThat(outcome.wakeAt()).isEmpty();
  }

  @Test
  void aMemberStillOnTheOldBundleIsLoadingUntilTheTimeoutThenStaleAndThatIsToldOnce() {
    var loading = ConfirmationCheck.check("a-trust", confirmed(Set.of(OLD), 2), BOTH_CAS_LEAF_2, null, TIMEOUT, NOW);
    assertThat(loading.status().state).isEqualTo(TrustState.Loading);
    assertThat(loading.status().behindSince).isEqualTo("2026-12-02T12:00:00Z");
    assertThat(loading.wakeAt()).contains(NOW.plus(TIMEOUT));

    TrustConfirmationStatus before = loading.status();
    var stillLoading = ConfirmationCheck.check("a-trust", confirmed(Set.of(OLD), 2), BOTH_CAS_LEAF_2, before,
        TIMEOUT, NOW.plusSeconds(100));
    assertThat(stillLoading.status().behindSince).as("kept").isEqualTo(before.behindSince);

    var stale = ConfirmationCheck.check("a-trust", confirmed(Set.of(OLD), 2), BOTH_CAS_LEAF_2, stillLoading.status(),
        TIMEOUT, NOW.plus(TIMEOUT));
    assertThat(stale.status().state).isEqualTo(TrustState.Stale);
    assertThat(stale.turnedStale()).isTrue();
    var staleAgain = ConfirmationCheck.check("a-trust", confirmed(Set.of(OLD), 2), BOTH_CAS_LEAF_2, stale.status(),
        TIMEOUT, NOW.plus(TIMEOUT).plusSeconds(60));
    assertThat(staleAgain.turnedStale()).isFalse();
  }

  @Test
  void anOldCertificateOrAnExtraCaIsNotCurrent() {
    assertThat(ConfirmationCheck.check("a-trust", confirmed(Set.of(OLD, NEW), 1), BOTH_CAS_LEAF_2, null, TIMEOUT, NOW)
        .status().state).isEqualTo(TrustState.Loading);
    var onlyNew = new ConfirmationCheck.Expected(Set.of(NEW), BigInteger.TWO);
    assertThat(ConfirmationCheck.check("a-trust", confirmed(Set.of(OLD, NEW), 2), onlyNew, null, TIMEOUT, NOW)
        .status().state).as("still trusts the retired CA").isEqualTo(TrustState.Loading);
  }

  @Test
  void aMemberThatNeverConfirmedIsUnconfirmed() {
    var outcome = ConfirmationCheck.check("a-trust", Optional.empty(), BOTH_CAS_LEAF_2, null, TIMEOUT, NOW);
    assertThat(outcome.status().state).isEqualTo(TrustState.Unconfirmed);
    assertThat(outcome.status().leaseName).isEqualTo("a-trust");
  }

  @Test
  void theLeaseAnnotationsParseAsTheMemberLibraryWritesThem() {
    var lease = new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder().withNewMetadata()
        .addToAnnotations(TrustLeases.TRUSTED_CAS, NEW + "," + OLD)
        .addToAnnotations(TrustLeases.LEAF_SERIALS, "1f,a0")
        .addToAnnotations(TrustLeases.CONFIRMED_AT, "2026-12-02T11:59:50.123Z")
        .endMetadata().withNewSpec().withHolderIdentity("member-a").endSpec().build();
    TrustLeases.Confirmation c = TrustLeases.confirmation(lease).orElseThrow();
    assertThat(c.trustedCas()).containsExactlyInAnyOrder(OLD, NEW);
    assertThat(c.leafSerials()).containsExactlyInAnyOrder(BigInteger.valueOf(0x1f), BigInteger.valueOf(0xa0));
    assertThat(c.at()).isEqualTo(Instant.parse("2026-12-02T11:59:50.123Z"));
    assertThat(TrustLeases.confirmation(new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder()
        .withNewMetadata().endMetadata().build())).as("made by the operator, never written").isEmpty();
  }
}
