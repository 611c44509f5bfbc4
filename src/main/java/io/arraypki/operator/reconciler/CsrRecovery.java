package io.arraypki.operator.reconciler;

import io.arraypki.operator.pki.Revocation;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A CSR the signer answered but whose certificate never reached the node's Secret: the signer
 * writes the CSR's status first (so that a second signer on a stale cache gets a conflict and
 * never writes the Secret), and a crash right after that left the Node waiting for a CSR that
 * had already been signed, for good (a signed CSR is never signed again). Pure: decides whether
 * the certificate on the CSR is to be written into the Secret now.
 */
final class CsrRecovery {
  private CsrRecovery() {}

  /** What to do with a certificate already on a CSR. */
  enum Outcome {
    /** The Secret lacks it and nothing newer replaced it: write it. */
    WRITE(true),
    /** The Secret holds it already (the usual case). */
    HELD(false),
    /** The Secret holds a later certificate (a re-signing, or a later CSR): the CSR is history. */
    SUPERSEDED(false),
    /** Not a certificate of the key the CSR asked for: never written. */
    NOT_FOR_THE_REQUESTED_KEY(false),
    /** Not signed by the array's signing CA (a rotation since): the node's next CSR or re-signing decides. */
    OTHER_CA(false),
    /** On the array's CRL: a revoked certificate is never handed out again. */
    REVOKED(false),
    EXPIRED(false);

    private final boolean write;

    Outcome(boolean write) {
      this.write = write;
    }

    boolean write() {
      return write;
    }
  }

  /**
   * @param held the leaf the node's Secret holds now, if any
   * @param signed the leaf on the CSR's status
   */
  static Outcome decide(Optional<X509Certificate> held, X509Certificate signed, PublicKey requested,
      X509Certificate signingCa, List<Revocation> revoked, Instant now) {
    if (held.isPresent() && held.get().equals(signed)) {
      return Outcome.HELD;
    }
    if (!signed.getPublicKey().equals(requested)) {
      return Outcome.NOT_FOR_THE_REQUESTED_KEY;
    }
    try {
      signed.verify(signingCa.getPublicKey());
    } catch (java.security.GeneralSecurityException e) {
      return Outcome.OTHER_CA;
    }
    if (revoked.stream().anyMatch(r -> r.serial().equals(signed.getSerialNumber()))) {
      return Outcome.REVOKED;
    }
    if (!signed.getNotAfter().toInstant().isAfter(now)) {
      return Outcome.EXPIRED;
    }
    // A later certificate in the Secret (the same key re-signed after a rotation or at renewal,
    // or a later CSR's) answers more than this one does.
    if (held.isPresent() && !held.get().getNotBefore().before(signed.getNotBefore())) {
      return Outcome.SUPERSEDED;
    }
    return Outcome.WRITE;
  }
}
