package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ArrayNodeSpec;
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
import io.arraypki.operator.k8s.LeafSecrets;
import io.arraypki.operator.k8s.Names;
import io.arraypki.operator.k8s.ObjectWriter;
import io.arraypki.operator.k8s.TrustConfigMaps;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.LeafDecision;
import io.arraypki.operator.pki.LeafProfile;
import io.arraypki.operator.pki.PkiException;
import io.arraypki.operator.pki.SerialNumbers;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A member: joins its array (pin check), holds a peer certificate signed by the array's signing
 * CA and the array's trust bundle, renews it on time, and reports its role.
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
    return List.of(
        new InformerEventSource<>(arrays, context),
        new InformerEventSource<>(secrets, context),
        new InformerEventSource<>(configMaps, context));
  }

  /** The nodes of the array an object belongs to (by its name for arrays, else by label). */
  private static Set<ResourceID> membersOf(
      io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache<ArrayNode> nodes, HasMetadata object) {
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
    return node.getSpec() == null || node.getSpec().array == null || node.getSpec().array.isEmpty()
        ? Set.of()
        : Set.of(new ResourceID(node.getSpec().array, node.getMetadata().getNamespace()));
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
        || !Objects.equals(b.candidates, a.candidates) || !Objects.equals(b.primary, a.primary)
        || StatusPatches.changed(b.rotation, a.rotation);
  }

  @Override
  public UpdateControl<ArrayNode> reconcile(ArrayNode node, Context<ArrayNode> context) {
    Instant now = clock.instant();
    ArrayNodeStatus before = Optional.ofNullable(node.getStatus()).orElseGet(ArrayNodeStatus::new);
    ArrayNodeStatus status = StatusPatches.copy(before, ArrayNodeStatus.class);
    status.observedGeneration = node.getMetadata().getGeneration();
    EventRecorder events = new EventRecorder(context.getClient(), clock);
    Optional<Instant> nextRenewal = Optional.empty();

    MemberView view = MemberView.read(node, context);
    if (view.waitingReason() != null) {
      status.role = NodeRole.Pending;
      setWaiting(status, node, view.waitingReason(), view.waitingMessage(), now);
    } else if (!pinAccepted(node, view, status, events, now)) {
      status.role = NodeRole.Pending;
    } else {
      status.joinedArray = new JoinedArray(view.array().getMetadata().getName(), view.array().getMetadata().getUid());
      status.role = roleOf(node, view.array());
      status.caFingerprint = Fingerprints.fingerprint(view.signing().certificate());
      status.caShortFingerprint = Fingerprints.shortForm(status.caFingerprint);
      status.conditions = Conditions.set(status.conditions, JOINED, true, "Joined",
          "member of array " + view.array().getMetadata().getName(), node.getMetadata().getGeneration(), now);
      if (node.getSpec().keyProvider == KeyProvider.External) {
        status.conditions = Conditions.set(status.conditions, CERTIFICATE_ISSUED, false, "WaitingForCSR",
            "keyProvider is External: the node sends a CertificateSigningRequest", node.getMetadata().getGeneration(), now);
      } else {
        PeerIssuer.Result peer = PeerIssuer.ensure(node, view, context, now);
        status.peerCertificate = certificateStatus(peer.secretName(), peer.certificate(), peer.renewalTime());
        nextRenewal = Optional.of(peer.renewalTime());
        status.conditions = Conditions.set(status.conditions, CERTIFICATE_ISSUED, true, "Issued",
            "peer certificate " + status.peerCertificate.serialNumber + " signed by CA generation "
                + view.signingGeneration(), node.getMetadata().getGeneration(), now);
        if (peer.issuedReason() != null) {
          events.normal(node, "CertificateIssued", "issued peer certificate "
              + status.peerCertificate.serialNumber + " (" + peer.issuedReason() + ")");
        }
      }
    }
    boolean ready = Conditions.isTrue(status.conditions, JOINED)
        && Conditions.isTrue(status.conditions, TRUST_VERIFIED)
        && Conditions.isTrue(status.conditions, CERTIFICATE_ISSUED);
    status.conditions = Conditions.set(status.conditions, READY, ready, ready ? "Ready" : "NotReady",
        ready ? "holds a valid certificate of the array's signing CA" : "see the other conditions",
        node.getMetadata().getGeneration(), now);

    UpdateControl<ArrayNode> control = StatusPatches.changed(before, status)
        ? UpdateControl.patchStatus(StatusPatches.statusOnly(node, status, ArrayNode::new))
        : UpdateControl.noUpdate();
    nextRenewal.ifPresent(t -> control.rescheduleAfter(Duration.between(now, t).plusSeconds(1)));
    return control;
  }

  @Override
  public DeleteControl cleanup(ArrayNode node, Context<ArrayNode> context) {
    return DeleteControl.defaultDelete();
  }

  private static void setWaiting(ArrayNodeStatus status, ArrayNode node, String reason, String message, Instant now) {
    Long generation = node.getMetadata().getGeneration();
    status.conditions = Conditions.set(status.conditions, JOINED, false, reason, message, generation, now);
    status.conditions = Conditions.set(status.conditions, CERTIFICATE_ISSUED, false, reason, message, generation, now);
  }

  /** The pin is checked when joining; once joined, later rotations need no new pin. */
  private static boolean pinAccepted(ArrayNode node, MemberView view, ArrayNodeStatus status,
      EventRecorder events, Instant now) {
    Long generation = node.getMetadata().getGeneration();
    String pin = node.getSpec().trustedCAFingerprint;
    boolean joined = status.joinedArray != null
        && Objects.equals(status.joinedArray.uid, view.array().getMetadata().getUid());
    X509Certificate ca = view.signing().root();
    if (joined || pin == null || pin.isBlank()) {
      status.conditions = Conditions.set(status.conditions, TRUST_VERIFIED, true,
          pin == null || pin.isBlank() ? "NoPin" : "PinMatched",
          "trusts the array's CA " + Fingerprints.fingerprint(ca), generation, now);
      return true;
    }
    boolean matches;
    try {
      matches = Fingerprints.pinMatches(pin, ca);
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
    List<io.fabric8.kubernetes.api.model.Condition> previous = status.conditions;
    status.conditions = Conditions.set(status.conditions, TRUST_VERIFIED, false, "FingerprintMismatch",
        message, generation, now);
    status.conditions = Conditions.set(status.conditions, JOINED, false, "FingerprintMismatch", message, generation, now);
    status.conditions = Conditions.set(status.conditions, CERTIFICATE_ISSUED, false, "FingerprintMismatch",
        message, generation, now);
    if (Conditions.statusChanged(previous, status.conditions, TRUST_VERIFIED)
        || !"FingerprintMismatch".equals(Conditions.find(previous, TRUST_VERIFIED).map(c -> c.getReason()).orElse(""))) {
      events.warning(node, "FingerprintMismatch", message);
    }
    return false;
  }

  private static NodeRole roleOf(ArrayNode node, ClusterArray array) {
    String name = node.getMetadata().getName();
    if (Boolean.TRUE.equals(node.getSpec().offline)) {
      return NodeRole.Offline;
    }
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

  /** What a member needs to read from the caches: its array, the signing CA and the bundle. */
  record MemberView(ClusterArray array, ArraySettings settings, CertificateAuthority signing,
      long signingGeneration, String bundlePem, String waitingReason, String waitingMessage) {

    static MemberView read(ArrayNode node, Context<ArrayNode> context) {
      ArrayNodeSpec spec = node.getSpec();
      String namespace = node.getMetadata().getNamespace();
      if (spec.array == null || spec.array.isEmpty()) {
        return waiting("NotInAnArray", "spec.array is empty");
      }
      Optional<ClusterArray> array = EventSources.get(context, ClusterArray.class, EventSources.ARRAYS, namespace, spec.array);
      if (array.isEmpty()) {
        return waiting("ArrayNotFound", "ClusterArray " + spec.array + " does not exist in namespace " + namespace);
      }
      var status = array.get().getStatus();
      if (status == null || status.ca == null || status.ca.generation == null) {
        return waiting("WaitingForCA", "array " + spec.array + " has no CA yet (see its Degraded condition)");
      }
      Optional<Secret> caSecret = EventSources.get(context, Secret.class, EventSources.SECRETS, namespace,
          Names.caGenerationSecret(spec.array, status.ca.generation));
      Optional<ConfigMap> trust = EventSources.get(context, ConfigMap.class, EventSources.CONFIG_MAPS, namespace,
          Names.trustConfigMap(spec.array));
      if (caSecret.isEmpty() || trust.isEmpty() || TrustConfigMaps.bundle(trust.get()) == null) {
        return waiting("WaitingForCA", "the CA of array " + spec.array + " is not published yet");
      }
      return new MemberView(array.get(), ArraySettings.of(array.get().getSpec()), CaSecrets.read(caSecret.get()),
          status.ca.generation, TrustConfigMaps.bundle(trust.get()), null, null);
    }

    private static MemberView waiting(String reason, String message) {
      return new MemberView(null, null, null, 0, null, reason, message);
    }

    LeafProfile peerProfile(ArrayNode node) {
      ArrayNodeSpec spec = node.getSpec();
      List<String> dns = new java.util.ArrayList<>();
      dns.add(spec.peerDNSName);
      if (spec.dnsNames != null) {
        spec.dnsNames.stream().filter(d -> !dns.contains(d)).forEach(dns::add);
      }
      return new LeafProfile(spec.peerDNSName, dns, spec.ipAddresses == null ? List.of() : spec.ipAddresses,
          List.of(), settings.peerUsages(), settings.peerKey(), settings.peer().duration(),
          settings.peer().renewBefore());
    }
  }

  /** Keeps {@code <node>-peer-tls} issued by the signing CA and carrying the current bundle. */
  static final class PeerIssuer {
    private PeerIssuer() {}

    record Result(String secretName, X509Certificate certificate, Instant renewalTime, String issuedReason) {}

    static Result ensure(ArrayNode node, MemberView view, Context<ArrayNode> context, Instant now) {
      String nodeName = node.getMetadata().getName();
      String secretName = Names.peerSecret(nodeName);
      Optional<Secret> current = EventSources.get(context, Secret.class, EventSources.SECRETS,
          node.getMetadata().getNamespace(), secretName);
      LeafProfile profile = view.peerProfile(node);
      // A certificate whose key is gone or is not its own counts as no certificate at all.
      X509Certificate currentCert = current.flatMap(LeafSecrets::leaf)
          .filter(cert -> LeafSecrets.holdsKeyOf(current.get(), cert)).orElse(null);
      LeafDecision decision = LeafDecision.decide(currentCert, profile, view.signing().certificate(), now, true, false);
      var placement = new LeafSecrets.Placement(secretName, node, view.array().getMetadata().getName(), nodeName,
          Labels.COMPONENT_PEER, templateLabels(view), templateAnnotations(view));
      IssuedLeaf leaf = decision.issue()
          ? IssuedLeaf.issue(view.signing(), profile, now)
          : IssuedLeaf.existing(current.get(), currentCert);
      Secret desired = LeafSecrets.secret(placement,
          new LeafSecrets.Content(leaf.chainPem(), leaf.keyPem(), view.bundlePem(), java.util.Map.of()),
          java.util.Map.of(
              Labels.SIGNED_BY_GENERATION, Long.toString(view.signingGeneration()),
              Labels.TRUST_GENERATION, trustGeneration(view)));
      ObjectWriter.apply(context, desired, current);
      Instant renewal = LeafDecision.renewalTime(leaf.certificate(), profile.renewBefore());
      return new Result(secretName, leaf.certificate(), renewal, decision.issue() ? decision.reason() : null);
    }

    private static String trustGeneration(MemberView view) {
      var trusted = view.array().getStatus().trustedCAs;
      return trusted == null || trusted.isEmpty() ? Long.toString(view.signingGeneration())
          : Long.toString(trusted.stream().mapToLong(t -> t.generation).max().orElse(view.signingGeneration()));
    }

    private static java.util.Map<String, String> templateLabels(MemberView view) {
      var t = view.array().getSpec().secretTemplate;
      return t == null || t.labels == null ? java.util.Map.of() : t.labels;
    }

    private static java.util.Map<String, String> templateAnnotations(MemberView view) {
      var t = view.array().getSpec().secretTemplate;
      return t == null || t.annotations == null ? java.util.Map.of() : t.annotations;
    }
  }
}
