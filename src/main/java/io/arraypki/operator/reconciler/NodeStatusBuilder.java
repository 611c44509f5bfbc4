package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNodeStatus;
import io.arraypki.operator.api.CertificateStatus;
import io.arraypki.operator.api.JoinedArray;
import io.arraypki.operator.api.NodeRole;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.SerialNumbers;
import io.fabric8.kubernetes.api.model.Condition;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The one place a Node's status and conditions are set. Starts from the status the node has
 * (a copy), so a condition that does not change keeps its lastTransitionTime, and the planner
 * can compare the result with what is there to write nothing when nothing changed.
 */
final class NodeStatusBuilder {
  static final String READY = "Ready";
  static final String JOINED = "Joined";
  static final String TRUST_VERIFIED = "TrustVerified";
  static final String CERTIFICATE_ISSUED = "CertificateIssued";

  /** The reasons of a Node's conditions (their names are the reasons written). */
  enum Reason {
    Ready, NotReady,
    Joined, Standalone,
    NoPin, PinMatched, OwnCA, FingerprintMismatch,
    Issued, Repaired, Offline, WaitingForRevocation, ArrayNotFound, WaitingForCA, WaitingForCSR,
    KeystorePasswordMissing, TrustStale;

    /** An IssuingView's waiting reason, typed. */
    static Reason waiting(String reason) {
      return valueOf(reason);
    }
  }

  private final ArrayNodeStatus before;
  private final ArrayNodeStatus status;
  private final Long generation;
  private final Instant now;

  NodeStatusBuilder(ArrayNodeStatus before, Long generation, Instant now) {
    this.before = before == null ? new ArrayNodeStatus() : before;
    this.status = StatusPatches.copy(this.before, ArrayNodeStatus.class);
    this.generation = generation;
    this.now = now;
    status.observedGeneration = generation;
  }

  ArrayNodeStatus before() {
    return before;
  }

  /** Whether the node is already in this state (so a warning about it is not told again). */
  boolean had(String type, Reason reason, String message) {
    Optional<Condition> c = Conditions.find(before.conditions, type);
    return c.map(x -> reason.name().equals(x.getReason())
        && (message == null || Objects.equals(message, x.getMessage()))).orElse(false);
  }

  /** Joined to this array (same uid) before: the pin was checked then, and is not again. */
  boolean joinedBefore(String arrayUid) {
    return before.joinedArray != null && Objects.equals(before.joinedArray.uid, arrayUid);
  }

  NodeStatusBuilder offline() {
    status.role = NodeRole.Offline;
    status.peerCertificate = null;
    status.clientCertificate = null;
    return notIssued(Reason.Offline, "the node is offline: it holds no key material");
  }

  NodeStatusBuilder waitingForRevocation(String array) {
    status.role = NodeRole.Pending;
    return notIssued(Reason.WaitingForRevocation, "array " + array
        + " is revoking this node's certificates before it gets new ones");
  }

  NodeStatusBuilder waitingForArray(Reason reason, String message) {
    status.role = NodeRole.Pending;
    notIssued(reason, message);
    set(JOINED, false, reason, message);
    return this;
  }

  NodeStatusBuilder pinMismatch(String message) {
    status.role = NodeRole.Pending;
    set(TRUST_VERIFIED, false, Reason.FingerprintMismatch, message);
    set(JOINED, false, Reason.FingerprintMismatch, message);
    return notIssued(Reason.FingerprintMismatch, message);
  }

  NodeStatusBuilder trusts(Reason reason, String message) {
    return set(TRUST_VERIFIED, true, reason, message);
  }

  NodeStatusBuilder joined(IssuingView view, NodeRole role) {
    status.joinedArray = new JoinedArray(view.arrayName(), view.array().getMetadata().getUid());
    status.role = role;
    caFingerprint(view.signing().certificate());
    return set(JOINED, true, Reason.Joined, "member of array " + view.arrayName());
  }

  NodeStatusBuilder standalone(X509Certificate ca) {
    status.role = NodeRole.Standalone;
    status.joinedArray = null;
    status.clientCertificate = null;
    caFingerprint(ca);
    set(JOINED, false, Reason.Standalone, "not in an array: the node is the primary of an array of one");
    return set(TRUST_VERIFIED, true, Reason.OwnCA, "trusts its own CA " + status.caFingerprint);
  }

  /** What the member confirmed on its trust Lease; null when it confirms nothing. */
  NodeStatusBuilder trust(io.arraypki.operator.api.TrustConfirmationStatus trust) {
    status.trust = trust;
    return this;
  }

  NodeStatusBuilder lastHandledRenewal(String token) {
    status.lastHandledRenewal = token;
    return this;
  }

  /** What the node holds of {@code kind} now; null for nothing. */
  NodeStatusBuilder holds(NodeCertificate kind, LeafIssuer.Result held) {
    CertificateStatus s = held == null ? null : certificateStatus(held.secretName(), held.certificate(),
        held.renewalTime());
    if (kind == NodeCertificate.PEER) {
      status.peerCertificate = s;
    } else {
      status.clientCertificate = s;
    }
    return this;
  }

  /**
   * CertificateIssued for the peer certificate held now. The condition tells how that certificate
   * came to be ("Repaired" after an edit damaged the Secret, which the Secret records), computed
   * from the certificate and its Secret alone, never kept from the previous status: a reconcile
   * may be handed a status from before its last write, and would otherwise keep it.
   */
  NodeStatusBuilder issued(LeafIssuer.Result peer, long signingGeneration) {
    String serial = SerialNumbers.format(peer.certificate().getSerialNumber());
    String message = "peer certificate " + serial + " signed by CA generation " + signingGeneration
        + (peer.repaired() ? " after " + peer.secretName() + " was damaged (" + peer.repairedDamage() + ")" : "");
    return set(CERTIFICATE_ISSUED, true, peer.repaired() ? Reason.Repaired : Reason.Issued, message);
  }

  NodeStatusBuilder notIssued(Reason reason, String message) {
    return set(CERTIFICATE_ISSUED, false, reason, message);
  }

  NodeRole role() {
    return status.role;
  }

  /** The status with Ready from the other conditions. */
  ArrayNodeStatus build() {
    boolean ready = Conditions.isTrue(status.conditions, TRUST_VERIFIED)
        && Conditions.isTrue(status.conditions, CERTIFICATE_ISSUED)
        && (Conditions.isTrue(status.conditions, JOINED) || status.role == NodeRole.Standalone);
    set(READY, ready, ready ? Reason.Ready : Reason.NotReady,
        ready ? "holds a valid certificate of its signing CA" : "see the other conditions");
    return status;
  }

  /** An exception in a reconcile: Ready=False saying why (the rest as it was). */
  ArrayNodeStatus failed(String reason, String message) {
    status.observedGeneration = before.observedGeneration;
    status.conditions = Conditions.set(status.conditions, READY, false, reason, message, generation, now);
    return status;
  }

  private void caFingerprint(X509Certificate ca) {
    status.caFingerprint = Fingerprints.fingerprint(ca);
    status.caShortFingerprint = Fingerprints.shortForm(status.caFingerprint);
  }

  private NodeStatusBuilder set(String type, boolean value, Reason reason, String message) {
    status.conditions = Conditions.set(status.conditions, type, value, reason.name(), message, generation, now);
    return this;
  }

  static CertificateStatus certificateStatus(String secretName, X509Certificate cert, Instant renewalTime) {
    CertificateStatus s = new CertificateStatus();
    s.secretName = secretName;
    s.serialNumber = SerialNumbers.format(cert.getSerialNumber());
    s.fingerprint = Fingerprints.fingerprint(cert);
    s.digest = Fingerprints.digest(cert);
    s.notBefore = Conditions.timestamp(cert.getNotBefore().toInstant());
    s.notAfter = Conditions.timestamp(cert.getNotAfter().toInstant());
    s.renewalTime = renewalTime == null ? null : Conditions.timestamp(renewalTime);
    return s;
  }

  static List<Condition> conditions(ArrayNodeStatus status) {
    return status == null ? List.of() : status.conditions;
  }
}
