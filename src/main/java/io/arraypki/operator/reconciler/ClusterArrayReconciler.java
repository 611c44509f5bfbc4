package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.CaStatus;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.api.RotationStatus;
import io.arraypki.operator.api.TrustedCa;
import io.arraypki.operator.k8s.CaSecrets;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.EventRecorder;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.Names;
import io.arraypki.operator.k8s.ObjectWriter;
import io.arraypki.operator.k8s.TrustConfigMaps;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.CertificateIssuer;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.KeyPairs;
import io.arraypki.operator.pki.SerialNumbers;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The array: its CA generations, the trust ConfigMap, the candidates, and the array's status.
 * Members' certificates are the {@link NodeReconciler}'s; they follow what this publishes.
 */
@ControllerConfiguration(name = "clusterarray", generationAwareEventProcessing = false)
public class ClusterArrayReconciler implements Reconciler<ClusterArray> {
  static final String READY = "Ready";
  static final String DEGRADED = "Degraded";
  static final String ROTATING = "Rotating";

  private final Clock clock;

  public ClusterArrayReconciler(Clock clock) {
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, ClusterArray>> prepareEventSources(EventSourceContext<ClusterArray> context) {
    var nodes =
        InformerEventSourceConfiguration.from(ArrayNode.class, ClusterArray.class)
            .withName(EventSources.NODES)
            .withSecondaryToPrimaryMapper(ClusterArrayReconciler::arraysOfNode)
            .build();
    var secrets =
        InformerEventSourceConfiguration.from(Secret.class, ClusterArray.class)
            .withName(EventSources.SECRETS)
            .withLabelSelector(Labels.MANAGED_SELECTOR)
            .withSecondaryToPrimaryMapper(EventSources::arrayOfLabel)
            .build();
    var configMaps =
        InformerEventSourceConfiguration.from(ConfigMap.class, ClusterArray.class)
            .withName(EventSources.CONFIG_MAPS)
            .withLabelSelector(Labels.MANAGED_SELECTOR)
            .withSecondaryToPrimaryMapper(EventSources::arrayOfLabel)
            .build();
    return List.of(
        new InformerEventSource<>(nodes, context),
        new InformerEventSource<>(secrets, context),
        new InformerEventSource<>(configMaps, context));
  }

  /** A node concerns the array it names and the array it has joined (when it is leaving). */
  private static Set<ResourceID> arraysOfNode(ArrayNode node) {
    Set<ResourceID> ids = new HashSet<>();
    String namespace = node.getMetadata().getNamespace();
    if (node.getSpec() != null && node.getSpec().array != null && !node.getSpec().array.isEmpty()) {
      ids.add(new ResourceID(node.getSpec().array, namespace));
    }
    if (node.getStatus() != null && node.getStatus().joinedArray != null) {
      ids.add(new ResourceID(node.getStatus().joinedArray.name, namespace));
    }
    return ids;
  }

  @Override
  public UpdateControl<ClusterArray> reconcile(ClusterArray array, Context<ClusterArray> context) {
    Instant now = clock.instant();
    String name = array.getMetadata().getName();
    String namespace = array.getMetadata().getNamespace();
    ArraySettings settings = ArraySettings.of(array.getSpec());
    List<ArrayNode> members = members(context, namespace, name);
    PrimaryCheck primary = PrimaryCheck.of(array.getSpec().primary, members);
    Map<Long, Secret> generations = caGenerations(context, namespace, name);
    ClusterArrayStatus before = Optional.ofNullable(array.getStatus()).orElseGet(ClusterArrayStatus::new);
    ClusterArrayStatus status = StatusPatches.copy(before, ClusterArrayStatus.class);
    EventRecorder events = new EventRecorder(context.getClient(), clock);

    if (generations.isEmpty() && primary.ok()) {
      Secret created = createFirstCa(array, settings, context, now);
      generations.put(1L, created);
      events.normal(array, "CAGenerated", "generated CA generation 1 for primary " + primary.name()
          + " (" + Fingerprints.fingerprint(CaSecrets.read(created).certificate()) + ")");
    }
    if (!generations.isEmpty()) {
      long active = status.ca != null && status.ca.generation != null && generations.containsKey(status.ca.generation)
          ? status.ca.generation
          : generations.keySet().stream().max(Long::compare).orElseThrow();
      List<Long> trusted = trustedGenerations(status, generations, active);
      publish(array, context, generations, active, trusted, settings);
      status.primary = primary.ok() ? primary.name() : status.primary;
      status.ca = caStatus(name, active, CaSecrets.read(generations.get(active)).certificate());
      status.trustedCAs = trustedStatus(generations, trusted);
    }
    if (status.rotation == null) {
      status.rotation = new RotationStatus();
      status.rotation.phase = RotationPhase.Idle;
    }
    status.candidates = CandidateSelection.select(
        array.getSpec().primary,
        members.stream().map(ClusterArrayReconciler::candidateFacts).toList(),
        settings.poolSize(),
        settings.autoPromote());
    status.members = members.size();
    status.readyMembers = (int) members.stream()
        .filter(n -> n.getStatus() != null && Conditions.isTrue(n.getStatus().conditions, READY))
        .count();
    status.observedGeneration = array.getMetadata().getGeneration();
    setConditions(array, status, primary, generations.isEmpty(), now);
    recordTransitions(array, before, status, primary, events);

    if (!StatusPatches.changed(before, status)) {
      return UpdateControl.noUpdate();
    }
    return UpdateControl.patchStatus(StatusPatches.statusOnly(array, status, ClusterArray::new));
  }

  private static List<ArrayNode> members(Context<ClusterArray> context, String namespace, String array) {
    return EventSources.source(context, ArrayNode.class, EventSources.NODES)
        .list(namespace, n -> n.getSpec() != null && array.equals(n.getSpec().array)
            && n.getMetadata().getDeletionTimestamp() == null)
        .toList();
  }

  private static CandidateSelection.Member candidateFacts(ArrayNode node) {
    var spec = node.getSpec();
    return new CandidateSelection.Member(
        node.getMetadata().getName(),
        Boolean.TRUE.equals(spec.masterCandidate),
        spec.masterCapable == null || spec.masterCapable,
        Boolean.TRUE.equals(spec.offline));
  }

  private static Map<Long, Secret> caGenerations(Context<ClusterArray> context, String namespace, String array) {
    Map<Long, Secret> generations = new TreeMap<>();
    EventSources.ofArray(context, Secret.class, EventSources.SECRETS, namespace, array)
        .filter(s -> Labels.COMPONENT_CA.equals(EventSources.label(s, Labels.COMPONENT)))
        .forEach(s -> CaSecrets.generation(s)
            .filter(g -> s.getMetadata().getName().equals(Names.caGenerationSecret(array, g)))
            .ifPresent(g -> generations.put(g, s)));
    return generations;
  }

  /** Generation 1, created once: a concurrent or restarted operator gets the same Secret back. */
  private Secret createFirstCa(ClusterArray array, ArraySettings settings, Context<ClusterArray> context, Instant now) {
    String name = array.getMetadata().getName();
    KeyPair keys = KeyPairs.generate(settings.caKey());
    X509Certificate certificate = CertificateIssuer.selfSignedCa(
        settings.caSubject(name, 1), keys, now, now.plus(settings.caDuration()));
    CertificateAuthority ca = CertificateAuthority.selfSigned(certificate, keys.getPrivate());
    return ObjectWriter.createOnly(context, CaSecrets.secret(Names.caGenerationSecret(name, 1), array, name, 1, ca));
  }

  private static List<Long> trustedGenerations(ClusterArrayStatus status, Map<Long, Secret> generations, long active) {
    List<Long> trusted = new ArrayList<>();
    if (status.trustedCAs != null) {
      status.trustedCAs.stream()
          .map(t -> t.generation)
          .filter(g -> g != null && generations.containsKey(g))
          .forEach(trusted::add);
    }
    if (!trusted.contains(active)) {
      trusted.add(active);
    }
    trusted.sort(Long::compare);
    return trusted;
  }

  /** The alias Secret of the signing CA, and the trust ConfigMap with every trusted CA. */
  private static void publish(ClusterArray array, Context<ClusterArray> context, Map<Long, Secret> generations,
      long active, List<Long> trusted, ArraySettings settings) {
    String name = array.getMetadata().getName();
    String namespace = array.getMetadata().getNamespace();
    CertificateAuthority signing = CaSecrets.read(generations.get(active));
    Secret alias = CaSecrets.secret(Names.caSecret(name), array, name, active, signing);
    ObjectWriter.apply(context, alias,
        EventSources.get(context, Secret.class, EventSources.SECRETS, namespace, Names.caSecret(name)));
    List<X509Certificate> bundle = trusted.stream().map(g -> CaSecrets.read(generations.get(g)).root()).toList();
    ConfigMap trust = TrustConfigMaps.configMap(array, bundle, trusted.get(trusted.size() - 1));
    ObjectWriter.apply(context, trust,
        EventSources.get(context, ConfigMap.class, EventSources.CONFIG_MAPS, namespace, Names.trustConfigMap(name)));
  }

  private static CaStatus caStatus(String array, long generation, X509Certificate certificate) {
    CaStatus ca = new CaStatus();
    ca.generation = generation;
    ca.fingerprint = Fingerprints.fingerprint(certificate);
    ca.shortFingerprint = Fingerprints.shortForm(ca.fingerprint);
    ca.serialNumber = SerialNumbers.format(certificate.getSerialNumber());
    ca.notBefore = Conditions.timestamp(certificate.getNotBefore().toInstant());
    ca.notAfter = Conditions.timestamp(certificate.getNotAfter().toInstant());
    ca.secretName = Names.caSecret(array);
    return ca;
  }

  private static List<TrustedCa> trustedStatus(Map<Long, Secret> generations, List<Long> trusted) {
    return trusted.stream().map(g -> {
      X509Certificate cert = CaSecrets.read(generations.get(g)).certificate();
      TrustedCa t = new TrustedCa();
      t.generation = g;
      t.fingerprint = Fingerprints.fingerprint(cert);
      t.notAfter = Conditions.timestamp(cert.getNotAfter().toInstant());
      return t;
    }).toList();
  }

  private static void setConditions(ClusterArray array, ClusterArrayStatus status, PrimaryCheck primary,
      boolean noCa, Instant now) {
    Long generation = array.getMetadata().getGeneration();
    status.conditions = Conditions.set(status.conditions, DEGRADED, !primary.ok(),
        primary.ok() ? "PrimaryReady" : primary.reason(), primary.message(), generation, now);
    status.conditions = Conditions.set(status.conditions, ROTATING,
        status.rotation.phase != RotationPhase.Idle, status.rotation.phase.name(),
        status.rotation.phase == RotationPhase.Idle ? "no CA rotation in progress" : "CA rotation in progress",
        generation, now);
    boolean allReady = status.members > 0 && status.readyMembers.equals(status.members);
    String reason;
    String message;
    if (noCa) {
      reason = "NoCA";
      message = "no CA yet: " + primary.message();
    } else if (status.members == 0) {
      reason = "NoMembers";
      message = "no Node names this array";
    } else if (allReady) {
      reason = "AllMembersReady";
      message = status.readyMembers + " of " + status.members + " members are ready";
    } else {
      reason = "MembersNotReady";
      message = status.readyMembers + " of " + status.members + " members are ready";
    }
    status.conditions = Conditions.set(status.conditions, READY, !noCa && allReady, reason, message, generation, now);
  }

  private static void recordTransitions(ClusterArray array, ClusterArrayStatus before, ClusterArrayStatus after,
      PrimaryCheck primary, EventRecorder events) {
    if (Conditions.statusChanged(before.conditions, after.conditions, DEGRADED) && !primary.ok()) {
      events.warning(array, primary.reason(), primary.message());
    }
  }
}
