package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ArrayNodeStatus;
import io.arraypki.operator.api.CertificateStatus;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.JoinedArray;
import io.arraypki.operator.api.KeyProvider;
import io.arraypki.operator.api.NodeRole;
import io.arraypki.operator.k8s.CaSecrets;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.EventRecorder;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.ManagedObjects;
import io.arraypki.operator.k8s.NameTaken;
import io.arraypki.operator.k8s.Names;
import io.arraypki.operator.k8s.ObjectWriter;
import io.arraypki.operator.k8s.SshSecrets;
import io.arraypki.operator.ops.OperatorMetrics;
import io.arraypki.operator.pki.CaSubject;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.CertificateIssuer;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.KeyPairs;
import io.arraypki.operator.pki.PkiException;
import io.arraypki.operator.pki.SerialNumbers;
import io.arraypki.operator.pki.SshKeys;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A member: joins its array (pin check), holds a peer certificate signed by the array's signing
 * CA and the array's trust bundle, renews it on time, stands alone with its own CA outside an
 * array, holds nothing while offline, and reports its role.
 */
@ControllerConfiguration(name = "node", generationAwareEventProcessing = false)
public class NodeReconciler implements Reconciler<ArrayNode>, Cleaner<ArrayNode> {
  static final String READY = "Ready";
  static final String JOINED = "Joined";
  static final String TRUST_VERIFIED = "TrustVerified";
  static final String CERTIFICATE_ISSUED = "CertificateIssued";
  private static final String BY_ARRAY = "byArray";

  private final Clock clock;

  public NodeReconciler(Clock clock) {
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, ArrayNode>> prepareEventSources(EventSourceContext<ArrayNode> context) {
    var nodesByArray = context.getPrimaryCache();
    nodesByArray.addIndexer(BY_ARRAY, node -> node.getSpec() == null || node.getSpec().array == null
        ? List.of() : List.of(node.getMetadata().getNamespace() + "/" + node.getSpec().array));
    var arrays = InformerEventSourceConfiguration.from(ClusterArray.class, ArrayNode.class)
        .withName(EventSources.ARRAYS)
        .withSecondaryToPrimaryMapper(array -> membersOf(nodesByArray, array))
        .withPrimaryToSecondaryMapper((ArrayNode node) -> arrayOf(node))
        .withOnUpdateFilter(NodeReconciler::concernsMembers)
        .build();
    var secrets = InformerEventSourceConfiguration.from(Secret.class, ArrayNode.class)
        .withName(EventSources.SECRETS)
        .withLabelSelector(Labels.MANAGED_SELECTOR)
        .withSecondaryToPrimaryMapper(secret -> {
          String node = EventSources.label(secret, Labels.NODE);
          if (node != null) {
            return Set.of(new ResourceID(node, secret.getMetadata().getNamespace()));
          }
          return Labels.COMPONENT_CA.equals(EventSources.label(secret, Labels.COMPONENT))
              ? membersOf(nodesByArray, secret) : Set.of();
        })
        .build();
    var configMaps = InformerEventSourceConfiguration.from(ConfigMap.class, ArrayNode.class)
        .withName(EventSources.CONFIG_MAPS)
        .withLabelSelector(Labels.MANAGED_SELECTOR)
        .withSecondaryToPrimaryMapper(cm -> membersOf(nodesByArray, cm))
        .build();
    var roles = InformerEventSourceConfiguration.from(Role.class, ArrayNode.class)
        .withName(EventSources.ROLES)
        .withLabelSelector(Labels.MANAGED_SELECTOR)
        .withSecondaryToPrimaryMapper(NodeReconciler::nodeOfLabel)
        .build();
    var bindings = InformerEventSourceConfiguration.from(RoleBinding.class, ArrayNode.class)
        .withName(EventSources.ROLE_BINDINGS)
        .withLabelSelector(Labels.MANAGED_SELECTOR)
        .withSecondaryToPrimaryMapper(NodeReconciler::nodeOfLabel)
        .build();
    return List.of(
        new InformerEventSource<>(arrays, context),
        new InformerEventSource<>(secrets, context),
        new InformerEventSource<>(configMaps, context),
        new InformerEventSource<>(roles, context),
        new InformerEventSource<>(bindings, context));
  }

  private static Set<ResourceID> nodeOfLabel(HasMetadata object) {
    String node = EventSources.label(object, Labels.NODE);
    return node == null ? Set.of() : Set.of(new ResourceID(node, object.getMetadata().getNamespace()));
  }

  /** The nodes of the array an object belongs to (by its name for arrays, else by label). */
  private static Set<ResourceID> membersOf(IndexedResourceCache<ArrayNode> nodes, HasMetadata object) {
    String array = object instanceof ClusterArray ? object.getMetadata().getName()
        : EventSources.label(object, Labels.ARRAY);
    if (array == null || array.isEmpty()) {
      return Set.of();
    }
    return nodes.byIndex(BY_ARRAY, object.getMetadata().getNamespace() + "/" + array).stream()
        .map(ResourceID::fromResource)
        .collect(Collectors.toSet());
  }

  private static Set<ResourceID> arrayOf(ArrayNode node) {
    return inAnArray(node)
        ? Set.of(new ResourceID(node.getSpec().array, node.getMetadata().getNamespace())) : Set.of();
  }

  private static boolean inAnArray(ArrayNode node) {
    return node.getSpec() != null && node.getSpec().array != null && !node.getSpec().array.isEmpty();
  }

  /** Array updates that change what members hold: spec, annotations, CA, bundle, candidates. */
  private static boolean concernsMembers(ClusterArray before, ClusterArray after) {
    if (!Objects.equals(before.getMetadata().getGeneration(), after.getMetadata().getGeneration())
        || !Objects.equals(before.getMetadata().getAnnotations(), after.getMetadata().getAnnotations())) {
      return true;
    }
    var b = before.getStatus();
    var a = after.getStatus();
    if (b == null || a == null) {
      return b != a;
    }
    return StatusPatches.changed(b.ca, a.ca) || StatusPatches.changed(b.trustedCAs, a.trustedCAs)
        || !Objects.equals(b.candidates, a.candidates) || !Objects.equals(b.primary, a.primary);
  }

  /** An exception left no status before: the node now says why it is stuck (Ready=False). */
  @Override
  public ErrorStatusUpdateControl<ArrayNode> updateErrorStatus(ArrayNode node, Context<ArrayNode> context,
      Exception e) {
    if (!ReconcileFailure.reportable(e)) {
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    ArrayNodeStatus before = Optional.ofNullable(node.getStatus()).orElseGet(ArrayNodeStatus::new);
    ArrayNodeStatus status = StatusPatches.copy(before, ArrayNodeStatus.class);
    status.conditions = Conditions.set(status.conditions, READY, false, ReconcileFailure.reason(e),
        ReconcileFailure.describe(e), node.getMetadata().getGeneration(), clock.instant());
    if (!StatusPatches.changed(before, status)) {
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    new EventRecorder(context.getClient(), clock).warning(node, ReconcileFailure.reason(e), ReconcileFailure.describe(e));
    return ErrorStatusUpdateControl.patchStatus(StatusPatches.statusOnly(node, status, ArrayNode::new));
  }

  @Override
  public UpdateControl<ArrayNode> reconcile(ArrayNode node, Context<ArrayNode> context) {
    Instant now = clock.instant();
    Long generation = node.getMetadata().getGeneration();
    ArrayNodeStatus before = Optional.ofNullable(node.getStatus()).orElseGet(ArrayNodeStatus::new);
    ArrayNodeStatus status = StatusPatches.copy(before, ArrayNodeStatus.class);
    status.observedGeneration = generation;
    EventRecorder events = new EventRecorder(context.getClient(), clock);
    Optional<Instant> nextRenewal = Optional.empty();

    Optional<String> heldByArray = peerHeldByOtherArray(node, context);
    if (Boolean.TRUE.equals(node.getSpec().offline)) {
      status.role = NodeRole.Offline;
      status.peerCertificate = null;
      status.clientCertificate = null;
      setNotIssued(status, generation, "Offline", "the node is offline: it holds no key material", now);
    } else if (heldByArray.isPresent()) {
      status.role = NodeRole.Pending;
      setNotIssued(status, generation, "WaitingForRevocation", "array " + heldByArray.get()
          + " is revoking this node's certificates before it gets new ones", now);
    } else if (!inAnArray(node)) {
      nextRenewal = Optional.of(standalone(node, context, status, events, now));
    } else {
      IssuingView view = IssuingView.ofArray(node, context);
      Optional<Instant> quietUntil = view.waitingReason() == null ? Optional.empty()
          : WaitingGrace.quietUntil(node.getStatus() == null, Instant.parse(node.getMetadata().getCreationTimestamp()), now);
      if (quietUntil.isPresent()) {
        return UpdateControl.<ArrayNode>noUpdate().rescheduleAfter(WakeUp.after(now, quietUntil.get()));
      }
      if (view.waitingReason() != null) {
        status.role = NodeRole.Pending;
        setNotIssued(status, generation, view.waitingReason(), view.waitingMessage(), now);
        status.conditions = Conditions.set(status.conditions, JOINED, false, view.waitingReason(),
            view.waitingMessage(), generation, now);
      } else if (pinAccepted(node, view, status, events, now)) {
        nextRenewal = joined(node, view, context, status, events, now);
      } else {
        status.role = NodeRole.Pending;
      }
    }
    NodeAccess.ensure(node, status, context);
    recordMetrics(node, status);
    boolean ready = Conditions.isTrue(status.conditions, TRUST_VERIFIED)
        && Conditions.isTrue(status.conditions, CERTIFICATE_ISSUED)
        && (Conditions.isTrue(status.conditions, JOINED) || status.role == NodeRole.Standalone);
    status.conditions = Conditions.set(status.conditions, READY, ready, ready ? "Ready" : "NotReady",
        ready ? "holds a valid certificate of its signing CA" : "see the other conditions", generation, now);

    UpdateControl<ArrayNode> control = StatusPatches.changed(before, status)
        ? UpdateControl.patchStatus(StatusPatches.statusOnly(node, status, ArrayNode::new))
        : UpdateControl.noUpdate();
    nextRenewal.ifPresent(t -> control.rescheduleAfter(WakeUp.after(now, t)));
    return control;
  }

  private Optional<Instant> joined(ArrayNode node, IssuingView view, Context<ArrayNode> context,
      ArrayNodeStatus status, EventRecorder events, Instant now) {
    Long generation = node.getMetadata().getGeneration();
    String name = node.getMetadata().getName();
    status.joinedArray = new JoinedArray(view.arrayName(), view.array().getMetadata().getUid());
    status.role = roleOf(node, view.array());
    status.caFingerprint = Fingerprints.fingerprint(view.signing().certificate());
    status.caShortFingerprint = Fingerprints.shortForm(status.caFingerprint);
    status.conditions = Conditions.set(status.conditions, JOINED, true, "Joined",
        "member of array " + view.arrayName(), generation, now);
    if (node.getSpec().keyProvider == KeyProvider.External) {
      return external(node, view, context, status, events, now);
    }
    LeafIssuer.Result peer = LeafIssuer.ensure(context, view,
        target(node, context, Names.peerSecret(name), Labels.COMPONENT_PEER, view.peerProfile(node)), now);
    status.lastHandledRenewal = EventSources.annotation(node, Labels.RENEW);
    if (view.keystores().problem() != null) {
      boolean newProblem = !Conditions.find(status.conditions, CERTIFICATE_ISSUED)
          .map(c -> KEYSTORE_PASSWORD_MISSING.equals(c.getReason())).orElse(false);
      String message = view.keystores().problem() + ": the certificates are issued without keystores";
      recordIssued(node, status, peer, view.signingGeneration(), events, now, false);
      setNotIssued(status, generation, KEYSTORE_PASSWORD_MISSING, message, now);
      if (newProblem) {
        events.warning(node, KEYSTORE_PASSWORD_MISSING, message);
      }
    } else {
      recordIssued(node, status, peer, view.signingGeneration(), events, now, true);
    }
    Instant next = peer.renewalTime();
    boolean candidate = status.role == NodeRole.Primary || status.role == NodeRole.Candidate;
    // Promotion gives client material; demotion takes it away, which is the array's to do
    // (it revokes before it deletes).
    if (candidate && view.settings().clientCertificates()) {
      LeafIssuer.Result client = LeafIssuer.ensure(context, view,
          target(node, context, Names.clientSecret(name), Labels.COMPONENT_CLIENT, view.clientProfile(node)), now);
      status.clientCertificate = certificateStatus(client.secretName(), client.certificate(), client.renewalTime());
      if (client.issuedReason() != null) {
        OperatorMetrics.issued(node.getMetadata().getNamespace(), view.arrayName(), "client");
      }
      client.announce(events, node, "ClientCertificateIssued", "client certificate");
      next = next.isBefore(client.renewalTime()) ? next : client.renewalTime();
    } else {
      status.clientCertificate = null;
    }
    if (candidate && view.settings().sshKeys()) {
      ensureSshKeys(node, view, context);
    }
    if (view.keystores().problem() != null) {
      // The password Secret is the user's and not watched: look again soon.
      Instant retry = now.plusSeconds(20);
      next = next.isBefore(retry) ? next : retry;
    }
    // Back in an array: the CA it had while standing alone goes.
    EventSources.get(context, Secret.class, EventSources.SECRETS, node.getMetadata().getNamespace(),
        Names.standaloneCaSecret(name)).filter(s -> ManagedObjects.controlledBy(s, node))
        .ifPresent(s -> ObjectWriter.delete(context, s));
    return Optional.of(next);
  }

  private static LeafIssuer.Target target(ArrayNode node, Context<ArrayNode> context, String secretName,
      String component, io.arraypki.operator.pki.LeafProfile profile) {
    Optional<Secret> current = EventSources.get(context, Secret.class, EventSources.SECRETS,
        node.getMetadata().getNamespace(), secretName);
    return new LeafIssuer.Target(node, node.getMetadata().getName(), secretName, component, profile, current,
        EventSources.annotation(node, Labels.RENEW));
  }

  /**
   * A node that keeps its own key: its certificates come from signed CSRs (CsrSigner); here
   * they are only kept signed by the signing CA, re-signing the same public key after a
   * rotation or at renewal time.
   */
  private Optional<Instant> external(ArrayNode node, IssuingView view, Context<ArrayNode> context,
      ArrayNodeStatus status, EventRecorder events, Instant now) {
    String name = node.getMetadata().getName();
    Long generation = node.getMetadata().getGeneration();
    LeafIssuer.Result peer = LeafIssuer.ensure(context, view, externalTarget(node, context, Names.peerSecret(name),
        Labels.COMPONENT_PEER, view.peerProfile(node)), now);
    if (peer == null) {
      setNotIssued(status, generation, "WaitingForCSR", "keyProvider is External: approve a CertificateSigningRequest"
          + " with signerName " + CsrSigner.SIGNER_PREFIX + node.getMetadata().getNamespace() + "." + view.arrayName(),
          now);
      return Optional.empty();
    }
    recordIssued(node, status, peer, view.signingGeneration(), events, now, true);
    Instant next = peer.renewalTime();
    boolean candidate = status.role == NodeRole.Primary || status.role == NodeRole.Candidate;
    if (candidate) {
      LeafIssuer.Result client = LeafIssuer.ensure(context, view, externalTarget(node, context,
          Names.clientSecret(name), Labels.COMPONENT_CLIENT, view.clientProfile(node)), now);
      if (client != null) {
        status.clientCertificate = certificateStatus(client.secretName(), client.certificate(), client.renewalTime());
        next = next.isBefore(client.renewalTime()) ? next : client.renewalTime();
      }
    } else {
      status.clientCertificate = null;
    }
    return Optional.of(next);
  }

  private static LeafIssuer.Target externalTarget(ArrayNode node, Context<ArrayNode> context, String secretName,
      String component, io.arraypki.operator.pki.LeafProfile profile) {
    LeafIssuer.Target t = target(node, context, secretName, component, profile);
    return new LeafIssuer.Target(t.owner(), t.node(), t.secretName(), t.component(), t.profile(), t.current(),
        t.ownToken(), true);
  }

  /** A candidate's SSH key pair is made once and kept while it stays a candidate. */
  private static void ensureSshKeys(ArrayNode node, IssuingView view, Context<ArrayNode> context) {
    String name = node.getMetadata().getName();
    Optional<Secret> current = EventSources.get(context, Secret.class, EventSources.SECRETS,
        node.getMetadata().getNamespace(), Names.sshSecret(name));
    if (current.isPresent()) {
      return;
    }
    ObjectWriter.createOnly(context, SshSecrets.secret(node, view.arrayName(),
        SshKeys.generate(name + "@" + view.arrayName())));
  }

  /** Outside an array: the primary of an array of one, with a CA of its own. */
  private Instant standalone(ArrayNode node, Context<ArrayNode> context, ArrayNodeStatus status,
      EventRecorder events, Instant now) {
    String name = node.getMetadata().getName();
    Secret caSecret = EventSources.get(context, Secret.class, EventSources.SECRETS, node.getMetadata().getNamespace(),
        Names.standaloneCaSecret(name)).orElseGet(() -> createStandaloneCa(node, context, now, events));
    if (!ManagedObjects.controlledBy(caSecret, node)) {
      throw new NameTaken(caSecret, node); // another owner's CA of that name is never signed with
    }
    CertificateAuthority ca = CaSecrets.read(caSecret);
    IssuingView view = IssuingView.standalone(ca);
    status.role = NodeRole.Standalone;
    status.joinedArray = null;
    status.clientCertificate = null;
    status.caFingerprint = Fingerprints.fingerprint(ca.certificate());
    status.caShortFingerprint = Fingerprints.shortForm(status.caFingerprint);
    Long generation = node.getMetadata().getGeneration();
    status.conditions = Conditions.set(status.conditions, JOINED, false, "Standalone",
        "not in an array: the node is the primary of an array of one", generation, now);
    status.conditions = Conditions.set(status.conditions, TRUST_VERIFIED, true, "OwnCA",
        "trusts its own CA " + status.caFingerprint, generation, now);
    LeafIssuer.Result peer = LeafIssuer.ensure(context, view,
        target(node, context, Names.peerSecret(name), Labels.COMPONENT_PEER, view.peerProfile(node)), now);
    recordIssued(node, status, peer, 1, events, now, true);
    status.lastHandledRenewal = EventSources.annotation(node, Labels.RENEW);
    return peer.renewalTime();
  }

  private Secret createStandaloneCa(ArrayNode node, Context<ArrayNode> context, Instant now, EventRecorder events) {
    String name = node.getMetadata().getName();
    ArraySettings defaults = ArraySettings.defaults();
    KeyPair keys = KeyPairs.generate(defaults.caKey());
    X509Certificate cert = CertificateIssuer.selfSignedCa(CaSubject.of(CaSubject.commonNameFor(name, 1)), keys, now,
        now.plus(defaults.caDuration()));
    CertificateAuthority ca = CertificateAuthority.selfSigned(cert, keys.getPrivate());
    Secret secret = CaSecrets.secret(Names.standaloneCaSecret(name), node, "", 1, ca);
    secret.getMetadata().getLabels().put(Labels.NODE, name);
    Secret stored = ObjectWriter.createOnly(context, secret);
    events.normal(node, "StandaloneCAGenerated", "not in an array: generated its own CA "
        + Fingerprints.fingerprint(cert));
    return stored;
  }

  /** @param setCondition false when another problem decides the CertificateIssued condition */
  private static void recordIssued(ArrayNode node, ArrayNodeStatus status, LeafIssuer.Result peer,
      long signingGeneration, EventRecorder events, Instant now, boolean setCondition) {
    status.peerCertificate = certificateStatus(peer.secretName(), peer.certificate(), peer.renewalTime());
    // The condition tells how the certificate held now came to be ("Repaired" after an edit
    // damaged the Secret) and stays as it is while that certificate is held. It is computed
    // from the Secret, not from the previous status, which a reconcile may see out of date.
    String reason = peer.repaired() ? "Repaired" : "Issued";
    String message = "peer certificate " + status.peerCertificate.serialNumber + " signed by CA generation "
        + signingGeneration + (peer.repaired() ? " after " + peer.secretName() + " was damaged ("
            + peer.repairedDamage() + ")" : "");
    boolean sameCertificate = peer.issuedReason() == null && Conditions.find(status.conditions, CERTIFICATE_ISSUED)
        .map(c -> Conditions.TRUE.equals(c.getStatus()) && c.getMessage() != null
            && c.getMessage().startsWith("peer certificate "
            + status.peerCertificate.serialNumber + " ")).orElse(false);
    if (setCondition && !sameCertificate) {
      status.conditions = Conditions.set(status.conditions, CERTIFICATE_ISSUED, true, reason, message,
          node.getMetadata().getGeneration(), now);
    }
    if (peer.issuedReason() != null) {
      OperatorMetrics.issued(node.getMetadata().getNamespace(), node.getSpec().array == null ? "" : node.getSpec().array,
          "peer");
    }
    peer.announce(events, node, "CertificateIssued", "peer certificate");
  }

  /**
   * The peer Secret still belongs to an array this node is no longer in, and that array exists:
   * it revokes and removes it first, so nothing is overwritten unrevoked.
   */
  private static Optional<String> peerHeldByOtherArray(ArrayNode node, Context<ArrayNode> context) {
    String namespace = node.getMetadata().getNamespace();
    return EventSources.get(context, Secret.class, EventSources.SECRETS, namespace,
            Names.peerSecret(node.getMetadata().getName()))
        .map(s -> EventSources.label(s, Labels.ARRAY))
        .filter(a -> !a.isEmpty() && !a.equals(node.getSpec().array))
        .filter(a -> EventSources.get(context, ClusterArray.class, EventSources.ARRAYS, namespace, a).isPresent());
  }

  /** Expiry and renewal times of what the node holds now, for alerts on /metrics. */
  private static void recordMetrics(ArrayNode node, ArrayNodeStatus status) {
    String ns = node.getMetadata().getNamespace();
    String name = node.getMetadata().getName();
    String array = node.getSpec().array == null ? "" : node.getSpec().array;
    for (var entry : java.util.Map.of("peer", Optional.ofNullable(status.peerCertificate),
        "client", Optional.ofNullable(status.clientCertificate)).entrySet()) {
      if (entry.getValue().isPresent()) {
        var c = entry.getValue().get();
        OperatorMetrics.certificate(ns, array, name, entry.getKey(), Instant.parse(c.notAfter),
            c.renewalTime == null ? null : Instant.parse(c.renewalTime));
      } else {
        OperatorMetrics.forget(ns, name, entry.getKey());
      }
    }
  }

  /** Deleting a node: its array revokes and removes its Secrets; then the finalizer goes. */
  @Override
  public DeleteControl cleanup(ArrayNode node, Context<ArrayNode> context) {
    String namespace = node.getMetadata().getNamespace();
    String name = node.getMetadata().getName();
    List<Secret> own = EventSources.source(context, Secret.class, EventSources.SECRETS)
        .list(namespace, s -> name.equals(EventSources.label(s, Labels.NODE))).toList();
    boolean arrayRevoking = own.stream()
        .map(s -> EventSources.label(s, Labels.ARRAY))
        .filter(a -> a != null && !a.isEmpty())
        .anyMatch(a -> EventSources.get(context, ClusterArray.class, EventSources.ARRAYS, namespace, a).isPresent());
    if (arrayRevoking) {
      return DeleteControl.noFinalizerRemoval();
    }
    own.forEach(s -> ObjectWriter.delete(context, s));
    OperatorMetrics.forget(namespace, name, "peer");
    OperatorMetrics.forget(namespace, name, "client");
    return DeleteControl.defaultDelete();
  }

  private static final String KEYSTORE_PASSWORD_MISSING = "KeystorePasswordMissing";

  private static void setNotIssued(ArrayNodeStatus status, Long generation, String reason, String message,
      Instant now) {
    status.conditions = Conditions.set(status.conditions, CERTIFICATE_ISSUED, false, reason, message, generation, now);
  }

  /** The pin is checked when joining; once joined, later rotations need no new pin. */
  private static boolean pinAccepted(ArrayNode node, IssuingView view, ArrayNodeStatus status,
      EventRecorder events, Instant now) {
    Long generation = node.getMetadata().getGeneration();
    String pin = node.getSpec().trustedCAFingerprint;
    boolean joined = status.joinedArray != null
        && Objects.equals(status.joinedArray.uid, view.array().getMetadata().getUid());
    X509Certificate ca = view.signing().certificate();
    if (joined || pin == null || pin.isBlank()) {
      status.conditions = Conditions.set(status.conditions, TRUST_VERIFIED, true,
          pin == null || pin.isBlank() ? "NoPin" : "PinMatched",
          "trusts the array's CA " + Fingerprints.fingerprint(ca), generation, now);
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
      status.conditions = Conditions.set(status.conditions, TRUST_VERIFIED, true, "PinMatched",
          "the array's CA matches trustedCAFingerprint", generation, now);
      return true;
    }
    String message = "trustedCAFingerprint " + pin + " does not match the array's CA "
        + Fingerprints.fingerprint(ca) + ": nothing is issued for this node";
    List<Condition> previous = status.conditions;
    status.conditions = Conditions.set(status.conditions, TRUST_VERIFIED, false, "FingerprintMismatch",
        message, generation, now);
    status.conditions = Conditions.set(status.conditions, JOINED, false, "FingerprintMismatch", message, generation, now);
    setNotIssued(status, generation, "FingerprintMismatch", message, now);
    boolean newlyFailed = !"FingerprintMismatch".equals(
        Conditions.find(previous, TRUST_VERIFIED).map(Condition::getReason).orElse(""))
        || !Objects.equals(Conditions.find(previous, TRUST_VERIFIED).map(Condition::getMessage).orElse(""), message);
    if (newlyFailed) {
      events.warning(node, "FingerprintMismatch", message);
    }
    return false;
  }

  private static NodeRole roleOf(ArrayNode node, ClusterArray array) {
    String name = node.getMetadata().getName();
    if (name.equals(array.getSpec().primary)) {
      return NodeRole.Primary;
    }
    var candidates = array.getStatus() == null ? null : array.getStatus().candidates;
    return candidates != null && candidates.contains(name) ? NodeRole.Candidate : NodeRole.Normal;
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

}
