package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ArrayNodeStatus;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.KeyProvider;
import io.arraypki.operator.api.NodeRole;
import io.arraypki.operator.k8s.CaSecrets;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.LegacyFinalizers;
import io.arraypki.operator.k8s.ManagedObjects;
import io.arraypki.operator.k8s.NameTaken;
import io.arraypki.operator.k8s.Names;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.k8s.SshSecrets;
import io.arraypki.operator.k8s.TrustLeases;
import io.arraypki.operator.pki.GoDuration;
import io.arraypki.operator.pki.Pem;
import java.time.Duration;
import io.arraypki.operator.pki.CaSubject;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.CertificateIssuer;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.KeyPairs;
import io.arraypki.operator.pki.PkiException;
import io.arraypki.operator.pki.SshKeys;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A Node's rows of DESIGN.md sections 3 and 4, as a pure function of what was observed and the
 * time: offline holds nothing; a node whose peer Secret another array still holds waits for its
 * revocation; outside an array it is the primary of an array of one; in an array it joins (pin
 * check) and holds each certificate it is entitled to, from one flow whoever keeps the key.
 */
final class NodePlanner {
  /** The password Secret is the user's, and one of a type the cache leaves out is not watched: look again soon. */
  static final java.time.Duration KEYSTORE_RETRY = java.time.Duration.ofSeconds(20);

  private NodePlanner() {}

  /** What the plan collects while the rows are decided. */
  private static final class Steps {
    Optional<Secret> createCa = Optional.empty();
    final List<LeafIssuer.Planned> leaves = new ArrayList<>();
    final List<Secret> create = new ArrayList<>();
    final List<HasMetadata> delete = new ArrayList<>();
    final List<NodeAnnouncement> announcements = new ArrayList<>();
    /** The peer certificate the node is to hold (what its member should confirm). */
    LeafIssuer.Planned peer;
    Instant wake;

    void wakeBy(Instant t) {
      wake = wake == null || t.isBefore(wake) ? t : wake;
    }
  }

  static NodePlan plan(NodeObservation o, Instant now) {
    ArrayNode node = o.node();
    NodeStatusBuilder status = new NodeStatusBuilder(node.getStatus(), node.getMetadata().getGeneration(), now);
    Steps steps = new Steps();
    if (o.offline()) {
      status.offline();
    } else if (o.peerHeldBy().isPresent()) {
      status.waitingForRevocation(o.peerHeldBy().get());
    } else if (!NodeObservation.inAnArray(node)) {
      standalone(o, status, steps, now);
    } else if (o.view().waitingReason() != null) {
      Optional<Instant> quiet = WaitingGrace.quietUntil(node.getStatus() == null,
          Instant.parse(node.getMetadata().getCreationTimestamp()), now);
      if (quiet.isPresent()) {
        return NodePlan.quiet(quiet.get());
      }
      status.waitingForArray(NodeStatusBuilder.Reason.waiting(o.view().waitingReason()), o.view().waitingMessage());
    } else if (pinAccepted(o, status, steps)) {
      member(o, status, steps, now);
    }
    confirmation(o, status, steps, now);
    ArrayNodeStatus next = status.build();
    NodeAccess.Plan access = NodeAccess.plan(node, next, o.owner(), o.role(), o.binding(), o.trustLease());
    return new NodePlan(Optional.empty(), steps.createCa, List.copyOf(steps.leaves), List.copyOf(steps.create),
        List.copyOf(steps.delete), access, List.copyOf(steps.announcements), next,
        StatusPatches.changed(status.before(), next), Optional.ofNullable(steps.wake),
        LegacyFinalizers.carries(node) && !holdsUnrevokedArrayMaterial(o, steps));
  }

  /**
   * Whether a peer or client Secret of an array is still controlled by the Node itself after
   * this plan (from an earlier operator, not yet taken over by its array): deleting the Node
   * then would let the garbage collector remove it before any array revoked it.
   */
  private static boolean holdsUnrevokedArrayMaterial(NodeObservation o, Steps steps) {
    return java.util.stream.Stream.of(o.peerSecret(), o.clientSecret()).flatMap(Optional::stream)
        .filter(s -> !java.util.Objects.requireNonNullElse(EventSources.label(s, Labels.ARRAY), "").isEmpty()
            && ManagedObjects.controlledBy(s, o.node()))
        .anyMatch(s -> steps.leaves.stream().noneMatch(l -> l.desired().getMetadata().getName()
            .equals(s.getMetadata().getName()) && !ManagedObjects.controlledBy(l.desired(), o.node())));
  }

  /**
   * What the member confirmed on its trust Lease against the bundle and certificate it is to
   * hold after this reconcile (only a node that names a ServiceAccount confirms: its Lease is
   * writable by that account alone). Turning Stale is told once, as a Warning.
   */
  private static void confirmation(NodeObservation o, NodeStatusBuilder status, Steps steps, Instant now) {
    String account = o.node().getSpec().serviceAccountName;
    if (account == null || account.isEmpty() || steps.peer == null) {
      status.trust(null);
      return;
    }
    ConfirmationCheck.Expected expected = new ConfirmationCheck.Expected(
        ConfirmationCheck.digests(Pem.certificates(SecretData.text(steps.peer.desired(), SecretData.CA_CRT)
            .orElse(""), "ca.crt")),
        steps.peer.result().certificate().getSerialNumber());
    Duration timeout = o.owner().map(a -> ArraySettings.of(a.getSpec()).confirmationTimeout())
        .orElse(ArraySettings.defaults().confirmationTimeout());
    ArrayNodeStatus before = o.node().getStatus();
    ConfirmationCheck.Outcome outcome = ConfirmationCheck.check(Names.trustLease(o.name()),
        o.trustLease().filter(l -> ManagedObjects.controlledBy(l, o.node())).flatMap(TrustLeases::confirmation),
        expected, before == null ? null : before.trust, timeout,
        now);
    status.trust(outcome.status());
    outcome.wakeAt().ifPresent(steps::wakeBy);
    if (outcome.turnedStale()) {
      steps.announcements.add(new NodeAnnouncement.Warning(NodeStatusBuilder.Reason.TrustStale, "the member has not"
          + " confirmed the bundle and certificate of its Secret since " + outcome.status().behindSince + " (over "
          + GoDuration.format(timeout) + "): it last confirmed at " + outcome.status().confirmedAt + " from "
          + outcome.status().confirmedBy + "; is it still reloading its files?"));
    }
  }

  /** In its array: each certificate it is entitled to, signed by the signing CA. */
  private static void member(NodeObservation o, NodeStatusBuilder status, Steps steps, Instant now) {
    ArrayNode node = o.node();
    IssuingView view = o.view();
    String name = o.name();
    status.joined(view, roleOf(node, view.array()));
    boolean candidate = status.role() == NodeRole.Primary || status.role() == NodeRole.Candidate;
    // A node that keeps its own key gets its certificates from signed CSRs (CsrSigner); here
    // they are kept signed by the signing CA, the same public key re-signed after a rotation or
    // at renewal time.
    boolean external = node.getSpec().keyProvider == KeyProvider.External;
    // Promotion gives client material; demotion takes it away, which is the array's to do (it
    // revokes before it deletes).
    boolean client = candidate && (external || view.settings().clientCertificates());
    String renewToken = EventSources.annotation(node, Labels.RENEW);
    boolean keystoresMissing = !external && view.keystores().problem() != null;
    for (NodeCertificate kind : client ? List.of(NodeCertificate.PEER, NodeCertificate.CLIENT)
        : List.of(NodeCertificate.PEER)) {
      // The array owns its members' Secrets: a deleted Node's stay until the array has revoked
      // what they hold (no finalizer on the user's Node); the node's own Secret of that name, from
      // while it stood alone or from an older operator, is taken over.
      LeafIssuer.Planned planned = LeafIssuer.plan(view, new LeafIssuer.Target(view.array(), name,
          kind.secretName(name), kind.component, kind.profile(view, node),
          kind == NodeCertificate.PEER ? o.peerSecret() : o.clientSecret(), renewToken, external, node), now);
      if (planned == null && kind == NodeCertificate.PEER) {
        status.notIssued(NodeStatusBuilder.Reason.WaitingForCSR, "keyProvider is External: approve a"
            + " CertificateSigningRequest with signerName " + CsrSigner.SIGNER_PREFIX
            + node.getMetadata().getNamespace() + "." + view.arrayName());
        return; // nothing to renew, so no wake: the signed CSR's Secret wakes it
      }
      status.holds(kind, planned == null ? null : planned.result());
      if (planned == null) {
        continue;
      }
      steps.leaves.add(planned);
      if (kind == NodeCertificate.PEER) {
        steps.peer = planned;
      }
      steps.announcements.add(new NodeAnnouncement.Leaf(kind, view.arrayName(), planned.result()));
      steps.wakeBy(planned.result().renewalTime());
      if (kind == NodeCertificate.PEER) {
        peerCondition(status, steps, planned.result(), view, keystoresMissing);
        if (!external) {
          status.lastHandledRenewal(renewToken);
        }
      }
    }
    if (!client) {
      status.holds(NodeCertificate.CLIENT, null);
    }
    if (candidate && !external && view.settings().sshKeys() && o.sshSecret().isEmpty()) {
      // A candidate's SSH key pair is made once and kept while it stays a candidate.
      steps.create.add(SshSecrets.secret(view.array(), node, SshKeys.generate(name + "@" + view.arrayName())));
    }
    if (keystoresMissing) {
      steps.wakeBy(now.plus(KEYSTORE_RETRY));
    }
    // Back in an array: the CA it had while standing alone goes.
    o.standaloneCaSecret().filter(s -> ManagedObjects.controlledBy(s, node)).ifPresent(steps.delete::add);
  }

  private static void peerCondition(NodeStatusBuilder status, Steps steps, LeafIssuer.Result peer, IssuingView view,
      boolean keystoresMissing) {
    if (!keystoresMissing) {
      status.issued(peer, view.signingGeneration());
      return;
    }
    String message = view.keystores().problem() + ": the certificates are issued without keystores";
    if (!status.had(NodeStatusBuilder.CERTIFICATE_ISSUED, NodeStatusBuilder.Reason.KeystorePasswordMissing, null)) {
      steps.announcements.add(new NodeAnnouncement.Warning(NodeStatusBuilder.Reason.KeystorePasswordMissing, message));
    }
    status.notIssued(NodeStatusBuilder.Reason.KeystorePasswordMissing, message);
  }

  /** Outside an array: the primary of an array of one, with a CA of its own (made here if it has none). */
  private static void standalone(NodeObservation o, NodeStatusBuilder status, Steps steps, Instant now) {
    ArrayNode node = o.node();
    String name = o.name();
    CertificateAuthority ca;
    if (o.standaloneCaSecret().isPresent()) {
      Secret secret = o.standaloneCaSecret().get();
      if (!ManagedObjects.controlledBy(secret, node)) {
        throw new NameTaken(secret, node); // another owner's CA of that name is never signed with
      }
      ca = CaSecrets.read(secret);
    } else {
      ca = newStandaloneCa(name, now);
      Secret secret = CaSecrets.secret(Names.standaloneCaSecret(name), node, "", 1, ca);
      secret.getMetadata().getLabels().put(Labels.NODE, name);
      steps.createCa = Optional.of(secret);
      steps.announcements.add(new NodeAnnouncement.StandaloneCaGenerated(Fingerprints.fingerprint(ca.certificate())));
    }
    IssuingView view = IssuingView.standalone(ca);
    status.standalone(ca.certificate());
    String renewToken = EventSources.annotation(node, Labels.RENEW);
    LeafIssuer.Planned peer = LeafIssuer.plan(view, new LeafIssuer.Target(node, name, Names.peerSecret(name),
        Labels.COMPONENT_PEER, view.peerProfile(node), o.peerSecret(), renewToken), now);
    steps.leaves.add(peer);
    steps.peer = peer;
    status.holds(NodeCertificate.PEER, peer.result());
    status.issued(peer.result(), 1);
    steps.announcements.add(new NodeAnnouncement.Leaf(NodeCertificate.PEER, "", peer.result()));
    status.lastHandledRenewal(renewToken);
    steps.wakeBy(peer.result().renewalTime());
  }

  private static CertificateAuthority newStandaloneCa(String name, Instant now) {
    ArraySettings defaults = ArraySettings.defaults();
    KeyPair keys = KeyPairs.generate(defaults.caKey());
    X509Certificate cert = CertificateIssuer.selfSignedCa(CaSubject.of(CaSubject.commonNameFor(name, 1)), keys, now,
        now.plus(defaults.caDuration()));
    return CertificateAuthority.selfSigned(cert, keys.getPrivate());
  }

  /** The pin is checked when joining; once joined, later rotations need no new pin. */
  private static boolean pinAccepted(NodeObservation o, NodeStatusBuilder status, Steps steps) {
    IssuingView view = o.view();
    String pin = o.node().getSpec().trustedCAFingerprint;
    X509Certificate ca = view.signing().certificate();
    boolean noPin = pin == null || pin.isBlank();
    if (noPin || status.joinedBefore(view.array().getMetadata().getUid())) {
      status.trusts(noPin ? NodeStatusBuilder.Reason.NoPin : NodeStatusBuilder.Reason.PinMatched,
          "trusts the array's CA " + Fingerprints.fingerprint(ca));
      return true;
    }
    boolean matches;
    try {
      // The pin may name the signing CA (what status.ca shows) or, for a brought CA, its root.
      matches = Fingerprints.pinMatches(pin, ca) || Fingerprints.pinMatches(pin, view.signing().root());
    } catch (PkiException e) {
      matches = false;
    }
    if (matches) {
      status.trusts(NodeStatusBuilder.Reason.PinMatched, "the array's CA matches trustedCAFingerprint");
      return true;
    }
    String message = "trustedCAFingerprint " + pin + " does not match the array's CA "
        + Fingerprints.fingerprint(ca) + ": nothing is issued for this node";
    if (!status.had(NodeStatusBuilder.TRUST_VERIFIED, NodeStatusBuilder.Reason.FingerprintMismatch, message)) {
      steps.announcements.add(new NodeAnnouncement.Warning(NodeStatusBuilder.Reason.FingerprintMismatch, message));
    }
    status.pinMismatch(message);
    return false;
  }

  static NodeRole roleOf(ArrayNode node, ClusterArray array) {
    String name = node.getMetadata().getName();
    if (name.equals(array.getSpec().primary)) {
      return NodeRole.Primary;
    }
    var candidates = array.getStatus() == null ? null : array.getStatus().candidates;
    return candidates != null && candidates.contains(name) ? NodeRole.Candidate : NodeRole.Normal;
  }
}
