package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.TrustConfirmationStatus;
import io.arraypki.operator.api.TrustState;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.TrustLeases;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.SerialNumbers;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A member's confirmation against what it holds now, as a pure function: Current when its Lease
 * names every CA of the bundle in its Secret (and no other) and the certificate the Secret
 * holds; Loading while it has not confirmed a change for less than the confirmation timeout;
 * Stale past it (the member stopped reloading its files); Unconfirmed when it never confirmed.
 */
final class ConfirmationCheck {
  private ConfirmationCheck() {}

  /** What the member should have loaded: the CA digests of its bundle and its certificate's serial. */
  record Expected(Set<String> caDigests, BigInteger leafSerial) {}

  /**
   * The status block, when to look again (a Loading member turns Stale at behindSince + timeout),
   * and whether it turned Stale in this reconcile (to be told once).
   */
  record Outcome(TrustConfirmationStatus status, Optional<Instant> wakeAt, boolean turnedStale) {}

  static boolean current(TrustLeases.Confirmation confirmation, Expected expected) {
    return confirmation.trustedCas().equals(expected.caDigests()) && confirmation.serves(expected.leafSerial());
  }

  static Outcome check(String leaseName, Optional<TrustLeases.Confirmation> confirmation, Expected expected,
      TrustConfirmationStatus before, Duration timeout, Instant now) {
    TrustConfirmationStatus status = new TrustConfirmationStatus();
    status.leaseName = leaseName;
    if (confirmation.isEmpty()) {
      status.state = TrustState.Unconfirmed;
      return new Outcome(status, Optional.empty(), false);
    }
    TrustLeases.Confirmation c = confirmation.get();
    status.trustedCAs = c.trustedCas().stream().map(Fingerprints::shortDigest).sorted().toList();
    status.leafSerials = c.leafSerials().stream().map(SerialNumbers::format).sorted().toList();
    status.confirmedAt = c.at() == null ? null : Conditions.timestamp(c.at());
    status.confirmedBy = c.holder();
    if (expected == null || current(c, expected)) {
      status.state = TrustState.Current;
      return new Outcome(status, Optional.empty(), false);
    }
    boolean wasBehind = before != null && before.behindSince != null
        && (before.state == TrustState.Loading || before.state == TrustState.Stale);
    Instant since = wasBehind ? Instant.parse(before.behindSince) : now;
    status.behindSince = Conditions.timestamp(since);
    Instant staleAt = since.plus(timeout);
    if (now.isBefore(staleAt)) {
      status.state = TrustState.Loading;
      return new Outcome(status, Optional.of(staleAt), false);
    }
    status.state = TrustState.Stale;
    return new Outcome(status, Optional.empty(), before == null || before.state != TrustState.Stale);
  }

  /** The digests of the CAs of a PEM bundle. */
  static Set<String> digests(List<java.security.cert.X509Certificate> cas) {
    return cas.stream().map(Fingerprints::digest).collect(java.util.stream.Collectors.toUnmodifiableSet());
  }
}
