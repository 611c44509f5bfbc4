package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.CaStatus;
import io.arraypki.operator.api.CandidateMap;
import io.arraypki.operator.api.CandidateMapSpec;
import io.arraypki.operator.api.CandidateMapStatus;
import io.arraypki.operator.api.VerifyProblem;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.api.HandledRenewals;
import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.api.RotationStatus;
import io.arraypki.operator.api.TrustedCa;
import io.arraypki.operator.k8s.CaSecrets;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.EventRecorder;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.LeafSecrets;
import io.arraypki.operator.k8s.Names;
import io.arraypki.operator.k8s.ObjectWriter;
import io.arraypki.operator.k8s.Revocations;
import io.arraypki.operator.k8s.SshSecrets;
import io.arraypki.operator.k8s.TrustConfigMaps;
import io.arraypki.operator.ops.OperatorMetrics;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.CertificateIssuer;
import io.arraypki.operator.pki.ExternalIssuer;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.KeyPairs;
import io.arraypki.operator.pki.LeafDecision;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.pki.Revocation;
import io.arraypki.operator.pki.SerialNumbers;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.processing.event.rate.RateLimited;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The array: its CA generations and their rotation, the trust ConfigMap with the CRLs, the
 * revocation of material nodes no longer hold rightly, and the array's status. Members'
 * certificates are the {@link NodeReconciler}'s; they follow what this publishes.
 */
@ControllerConfiguration(name = "clusterarray", generationAwareEventProcessing = false)
// An array's reconcile looks at all its members, and every member's change wakes it: while a
// thousand nodes join, at most four reconciles a second (each sees all changes so far) keep
// that from costing the square of the array's size. The delay is at most a quarter second.
@RateLimited(maxReconciliations = 4, within = 1, unit = TimeUnit.SECONDS)
public class ClusterArrayReconciler implements Reconciler<ClusterArray> {
  static final String READY = "Ready";
  static final String DEGRADED = "Degraded";
  static final String ROTATING = "Rotating";
  static final String VERIFIED = "Verified";
  static final String LEDGER_CORRUPT = "RevocationLedgerCorrupt";
  static final Duration ISSUER_RECHECK = Duration.ofSeconds(30);

  private final Clock clock;

  public ClusterArrayReconciler(Clock clock) {
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, ClusterArray>> prepareEventSources(EventSourceContext<ClusterArray> context) {
    var nodes = InformerEventSourceConfiguration.from(ArrayNode.class, ClusterArray.class)
        .withName(EventSources.NODES)
        .withSecondaryToPrimaryMapper(ClusterArrayReconciler::arraysOfNode)
        .build();
    var secrets = InformerEventSourceConfiguration.from(Secret.class, ClusterArray.class)
        .withName(EventSources.SECRETS)
        .withLabelSelector(Labels.MANAGED_SELECTOR)
        .withSecondaryToPrimaryMapper(EventSources::arrayOfLabel)
        .build();
    var configMaps = InformerEventSourceConfiguration.from(ConfigMap.class, ClusterArray.class)
        .withName(EventSources.CONFIG_MAPS)
        .withLabelSelector(Labels.MANAGED_SELECTOR)
        .withSecondaryToPrimaryMapper(EventSources::arrayOfLabel)
        .build();
    var candidateMaps = InformerEventSourceConfiguration.from(CandidateMap.class, ClusterArray.class)
        .withName(EventSources.CANDIDATE_MAPS)
        .withSecondaryToPrimaryMapper(EventSources::arrayOfLabel)
        .build();
    return List.of(
        new InformerEventSource<>(nodes, context),
        new InformerEventSource<>(secrets, context),
        new InformerEventSource<>(configMaps, context),
        new InformerEventSource<>(candidateMaps, context));
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
    ArrayFacts facts = ArrayFacts.read(array, context);
    PrimaryCheck primary = PrimaryCheck.of(array.getSpec().primary, facts.members());
    ClusterArrayStatus before = Optional.ofNullable(array.getStatus()).orElseGet(ClusterArrayStatus::new);
    ClusterArrayStatus status = StatusPatches.copy(before, ClusterArrayStatus.class);
    EventRecorder events = new EventRecorder(context.getClient(), clock);
    Map<Long, Secret> generations = new LinkedHashMap<>(facts.generations());
    List<Instant> wakeAt = new ArrayList<>();

    Optional<ConfigMap> trustNow = EventSources.get(context, ConfigMap.class, EventSources.CONFIG_MAPS, namespace,
        Names.trustConfigMap(name));
    Optional<Secret> keptLedgerNow = EventSources.get(context, Secret.class, EventSources.SECRETS, namespace,
        Names.revocationLedgerSecret(name));
    RevocationLedger.Reading ledger = RevocationLedger.read(TrustConfigMaps.ledger(trustNow),
        Revocations.kept(keptLedgerNow), before.ca != null, now);
    ledger.findings().forEach(f -> announce(events, array, f));
    Optional<ExternalIssuer.Check> issuer = readIssuer(array, context, settings, now);
    CaSource source = new CaSource(array, settings, context, now, issuer.filter(ExternalIssuer.Check::valid));
    boolean canIssue = issuer.map(ExternalIssuer.Check::valid).orElse(primary.ok());
    if (generations.isEmpty() && canIssue) {
      // 1 for a new array; after every generation Secret was lost, above all that is remembered
      long first = highestGenerationRemembered(before, facts, generations, ledger.entries()) + 1;
      Secret created = source.create(first, primary.name(), null);
      generations.put(first, created);
      status.primary = primary.name();
      status.ca = caStatus(name, first, CaSecrets.read(created).certificate());
      status.trustedCAs = List.of();
      events.normal(array, "CAGenerated", (issuer.isPresent() ? "took the CA of issuer Secret "
          + array.getSpec().ca.issuerRef.secretName : "generated") + " as CA generation " + first + " for primary "
          + primary.name() + " (" + status.ca.fingerprint + ")");
      issuer.map(ExternalIssuer.Check::warning).ifPresent(w -> events.warning(array, "IssuerEndsEarly", w));
    }
    if (!generations.isEmpty() && (status.ca == null || !generations.containsKey(status.ca.generation))) {
      adoptSigningCa(status, name, generations, primary);
    }
    List<Long> trusted = List.of();
    RotationPlanner.Plan plan = null;
    if (!generations.isEmpty()) {
      plan = RotationPlanner.plan(rotationFacts(array, status, facts, generations, primary, settings, issuer,
          ledger.entries(), now));
      if (plan.create().isPresent()) {
        var next = plan.create().get();
        generations.put(next.generation(), source.create(next.generation(), next.primary(), next.reason().name()));
        issuer.map(ExternalIssuer.Check::warning).ifPresent(w -> events.warning(array, "IssuerEndsEarly", w));
      }
      trusted = plan.trusted();
      applyPlan(status, plan, name, generations, facts, now);
      if (issuer.isPresent() && primary.ok()) {
        status.primary = primary.name(); // an external CA is not the primary's: a new primary needs no new CA
      }
      plan.wakeAt().ifPresent(wakeAt::add);
      plan.events().forEach(e -> OperatorMetrics.rotationStep(namespace, name, e.substring(0, e.indexOf(':'))));
      plan.events().forEach(e -> events.normal(array, e.substring(0, e.indexOf(':')), e.substring(e.indexOf(':') + 2)));
    }

    if (issuer.isPresent()) {
      wakeAt.add(now.plus(ISSUER_RECHECK)); // the issuer Secret is the user's and not watched
    }
    List<String> published = array.getStatus() == null || array.getStatus().candidates == null ? List.of()
        : array.getStatus().candidates;
    // The candidates now: those the status names and those holding their own client certificate
    // (a status write lost in a crash or an API server restart must not demote them).
    List<String> current = new ArrayList<>(published);
    facts.issued().stream()
        .filter(s -> Labels.COMPONENT_CLIENT.equals(EventSources.label(s, Labels.COMPONENT)))
        .filter(s -> LeafSecrets.leaf(s).isPresent() && CandidateMaps.foreignCertificate(s, facts).isEmpty())
        .map(s -> EventSources.label(s, Labels.NODE))
        .filter(n -> !current.contains(n))
        .forEach(current::add);
    List<String> candidates = CandidateSelection.select(array.getSpec().primary,
        facts.members().stream().map(ClusterArrayReconciler::candidateFacts).toList(),
        settings.poolSize(), settings.autoPromote(), current);
    Optional<CandidateMap> mapNow = EventSources.get(context, CandidateMap.class, EventSources.CANDIDATE_MAPS,
        namespace, name);
    List<VerifyProblem> problems = CandidateMaps.verify(mapNow, candidates, facts);
    // A demoted node keeps its client material until the status naming the new candidates is
    // written: its own reconciler, still seeing it as a candidate, would otherwise issue again
    // what was just revoked. The next reconcile (woken below) revokes it.
    List<String> entitled = new ArrayList<>(candidates);
    published.stream().filter(n -> !entitled.contains(n)).forEach(entitled::add);
    if (entitled.size() > candidates.size()) {
      wakeAt.add(now.plusSeconds(1));
    }
    List<Entitlement.Suggested<Secret>> suggested = facts.issued().stream()
        .flatMap(s -> suggestRevocation(s, facts, entitled, settings).stream()).toList();
    Entitlement.Confirmed<Secret> confirmed = confirmAgainstTheApiServer(array, context, suggested, facts, entitled);
    if (confirmed.cacheBehind()) {
      wakeAt.add(now.plusSeconds(1)); // nothing is revoked on a cache that lags; look again soon
    }
    List<Secret> unentitled = confirmed.revoke().stream().map(Entitlement.Suggested::item).toList();
    List<Secret> suspected = suggested.stream().map(Entitlement.Suggested::item).toList();
    List<Secret> foreign = facts.issued().stream()
        .filter(s -> CandidateMaps.foreignCertificate(s, facts).isPresent() && !suspected.contains(s)).toList();
    // Failing closed, nothing that depends on the ledger moves: no CRL, no revocation, no removal.
    if (!generations.isEmpty() && !ledger.failClosed()) {
      List<Revocation> revocations = revocations(ledger.entries(), facts, unentitled, generations,
          settings.trustPropagationDelay(), now, wakeAt);
      problems.addAll(revokedInUse(revocations, facts, unentitled));
      Map<Long, CertificateAuthority> trustedCas = new LinkedHashMap<>();
      trusted.forEach(g -> trustedCas.put(g, CaSecrets.read(generations.get(g))));
      CandidateMapSpec mapSpec = CandidateMaps.desired(array, candidates, facts);
      Map<String, String> extra = new LinkedHashMap<>();
      extra.put(TrustConfigMaps.CANDIDATE_MAP_JSON, CandidateMaps.json(mapSpec));
      if (settings.sshKeys()) {
        extra.put(TrustConfigMaps.AUTHORIZED_KEYS, authorizedKeys(facts, candidates));
      }
      var desired = TrustConfigMaps.desired(array, trustedCas, revocations, extra, trustNow, now);
      long active = status.ca.generation;
      int newlyRevoked = revocations.size() - ledger.entries().size();
      if (newlyRevoked > 0) {
        OperatorMetrics.revoked(namespace, name, newlyRevoked);
      }
      // the kept copy first: it never holds less than the published one
      ObjectWriter.apply(context, Revocations.keptCopy(array, revocations), keptLedgerNow);
      ObjectWriter.apply(context, desired.configMap(), trustNow);
      wakeAt.add(desired.crlRefreshAt());
      writeCandidateMap(array, context, mapSpec, mapNow, problems, now);
      IssuingView view = IssuingView.ofArrayItself(array, CaSecrets.read(generations.get(active)), active,
          TrustConfigMaps.bundle(desired.configMap()), trusted.stream().max(Long::compare).orElse(active),
          revocations, KeystorePasswords.read(context.getClient(), namespace, array.getSpec().keystores));
      serviceCertificate(array, context, view, facts, now, events).ifPresent(wakeAt::add);
      Secret alias = CaSecrets.secret(Names.caSecret(name), array, name, active, CaSecrets.read(generations.get(active)));
      ObjectWriter.apply(context, alias,
          EventSources.get(context, Secret.class, EventSources.SECRETS, namespace, Names.caSecret(name)));
      for (long retired : plan.delete()) {
        if (retired != active && !trusted.contains(retired) && generations.containsKey(retired)) {
          ObjectWriter.delete(context, generations.get(retired));
        }
      }
    }

    // Revoked above (when the array has a CA) before anything is deleted: a crash in between
    // leaves the Secret for the next reconcile, never an unrevoked certificate.
    for (Entitlement.Suggested<Secret> revoked : ledger.failClosed() ? List.<Entitlement.Suggested<Secret>>of()
        : confirmed.revoke()) {
      Secret secret = revoked.item();
      String why = revoked.reason().text();
      ObjectWriter.delete(context, secret);
      events.normal(array, "MaterialRevoked", secret.getMetadata().getName() + " of node "
          + EventSources.label(secret, Labels.NODE) + " revoked and removed (" + why + ")");
    }
    // A certificate copied from another node is removed, not revoked: it is that node's own.
    foreign.forEach(s -> ObjectWriter.delete(context, s));
    problems.forEach(p -> OperatorMetrics.verifyProblem(namespace, name, p.problem.name()));
    if (!problems.isEmpty()) {
      events.warning(array, "VerifyFailed", problems.size() + " problem(s), repaired: "
          + String.join("; ", problems.stream().map(p -> p.problem + " " + p.message).toList()));
    }
    status.candidates = candidates;
    status.members = facts.members().size();
    status.readyMembers = (int) facts.members().stream()
        .filter(n -> n.getStatus() != null && Conditions.isTrue(n.getStatus().conditions, READY)).count();
    status.lastHandledRenewal = handledRenewals(array, status, facts, plan);
    status.observedGeneration = array.getMetadata().getGeneration();
    if (status.ca != null && generations.containsKey(status.ca.generation)) {
      X509Certificate signing = CaSecrets.read(generations.get(status.ca.generation)).certificate();
      OperatorMetrics.certificate(namespace, name, "", "ca", signing.getNotAfter().toInstant(),
          issuer.isPresent() ? null : LeafDecision.renewalTime(signing, settings.caRenewBefore()));
    }
    long offline = facts.members().stream().filter(n -> !ArrayFacts.entitled(n)).count();
    setConditions(array, status, primary, generations.isEmpty(), offline, now);
    if (issuer.isPresent() && !issuer.get().valid()) {
      String message = "issuer Secret " + array.getSpec().ca.issuerRef.secretName + " is invalid: "
          + issuer.get().problem() + "; nothing is issued with it, what was issued before stays";
      status.conditions = Conditions.set(status.conditions, DEGRADED, true, "IssuerInvalid", message,
          array.getMetadata().getGeneration(), now);
      if (Conditions.statusChanged(before.conditions, status.conditions, DEGRADED)
          || !"IssuerInvalid".equals(Conditions.find(before.conditions, DEGRADED).map(c -> c.getReason()).orElse(""))) {
        events.warning(array, "IssuerInvalid", message);
      }
    }
    long revokedInUse = problems.stream()
        .filter(p -> p.problem == io.arraypki.operator.api.VerifyProblemKind.RevokedCertificateInUse).count();
    if (revokedInUse > 0) {
      status.conditions = Conditions.set(status.conditions, READY, false, "RevokedCertificatesInUse",
          revokedInUse + " certificate(s) members hold now are on the array's CRL; they are being reissued",
          array.getMetadata().getGeneration(), now);
    }
    ledger.corrupt().ifPresent(corrupt -> {
      String message = ledgerLocation(name, corrupt.where()) + " does not parse (" + corrupt.problem()
          + "); until it is repaired nothing is revoked, removed or published, and the last CRL stays";
      status.conditions = Conditions.set(status.conditions, DEGRADED, true, LEDGER_CORRUPT, message,
          array.getMetadata().getGeneration(), now);
      if (!LEDGER_CORRUPT.equals(Conditions.find(before.conditions, DEGRADED).map(c -> c.getReason()).orElse(""))) {
        events.warning(array, LEDGER_CORRUPT, message);
      }
    });
    status.conditions = Conditions.set(status.conditions, VERIFIED, problems.isEmpty(),
        problems.isEmpty() ? "Verified" : "ProblemsFound",
        problems.isEmpty() ? "the candidate map and every member's material verify"
            : problems.size() + " problem(s) found and repaired: " + problems.get(0).message,
        array.getMetadata().getGeneration(), now);
    if (Conditions.statusChanged(before.conditions, status.conditions, DEGRADED) && !primary.ok() && issuer.isEmpty()) {
      events.warning(array, primary.reason(), primary.message());
    }

    UpdateControl<ClusterArray> control = StatusPatches.changed(before, status)
        ? UpdateControl.patchStatus(StatusPatches.statusOnly(array, status, ClusterArray::new))
        : UpdateControl.noUpdate();
    wakeAt.stream().filter(t -> t != null).min(Instant::compareTo)
        .ifPresent(t -> control.rescheduleAfter(WakeUp.after(now, t)));
    return control;
  }

  /**
   * An exception left no status before: the array now says why it is stuck (Degraded), and the
   * next reconcile that succeeds sets the condition from what it finds.
   */
  @Override
  public ErrorStatusUpdateControl<ClusterArray> updateErrorStatus(ClusterArray array, Context<ClusterArray> context,
      Exception e) {
    if (!ReconcileFailure.reportable(e)) {
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    ClusterArrayStatus before = Optional.ofNullable(array.getStatus()).orElseGet(ClusterArrayStatus::new);
    ClusterArrayStatus status = StatusPatches.copy(before, ClusterArrayStatus.class);
    status.conditions = Conditions.set(status.conditions, DEGRADED, true, ReconcileFailure.reason(e),
        ReconcileFailure.describe(e), array.getMetadata().getGeneration(), clock.instant());
    if (!StatusPatches.changed(before, status)) {
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    new EventRecorder(context.getClient(), clock).warning(array, ReconcileFailure.reason(e), ReconcileFailure.describe(e));
    return ErrorStatusUpdateControl.patchStatus(StatusPatches.statusOnly(array, status, ClusterArray::new));
  }

  /**
   * The one certificate for the load-balancer name, {@code <array>-service-tls}, kept like a
   * member's: signed by the signing CA, renewed, re-signed on a rotation. Removed when the spec
   * no longer asks for it.
   */
  private static Optional<Instant> serviceCertificate(ClusterArray array, Context<ClusterArray> context,
      IssuingView view, ArrayFacts facts, Instant now, EventRecorder events) {
    var spec = array.getSpec().serviceCertificate;
    if (spec == null) {
      facts.service().ifPresent(s -> ObjectWriter.delete(context, s));
      return Optional.empty();
    }
    List<String> dns = new ArrayList<>();
    if (!spec.commonName.startsWith("*")) {
      dns.add(spec.commonName);
    }
    if (spec.dnsNames != null) {
      spec.dnsNames.stream().filter(d -> !dns.contains(d)).forEach(dns::add);
    }
    ArraySettings settings = view.settings();
    ArraySettings.Validity validity = spec.duration == null ? settings.peer()
        : ArraySettings.validity(spec.duration, spec.renewBefore);
    var key = spec.privateKey == null || spec.privateKey.algorithm == null ? settings.peerKey()
        : io.arraypki.operator.pki.KeySpec.of(spec.privateKey.algorithm.name(), spec.privateKey.size);
    var profile = new io.arraypki.operator.pki.LeafProfile(spec.commonName, dns,
        spec.ipAddresses == null ? List.of() : spec.ipAddresses, List.of(),
        java.util.Set.of(io.arraypki.operator.pki.Usage.SERVER_AUTH), key, validity.duration(), validity.renewBefore());
    String name = Names.serviceSecret(array.getMetadata().getName());
    var result = LeafIssuer.ensure(context, view, new LeafIssuer.Target(array, null, name, Labels.COMPONENT_SERVICE,
        profile, facts.service(), null), now);
    OperatorMetrics.certificate(array.getMetadata().getNamespace(), array.getMetadata().getName(), "", "service",
        result.certificate().getNotAfter().toInstant(), result.renewalTime());
    result.announce(events, array, "ServiceCertificateIssued", name + " for " + spec.commonName);
    return Optional.of(result.renewalTime());
  }

  /** A status that lost its CA (a crash between create and status write): take up what exists. */
  private static void adoptSigningCa(ClusterArrayStatus status, String name, Map<Long, Secret> generations,
      PrimaryCheck primary) {
    long adopted = generations.entrySet().stream()
        .filter(e -> LeafSecrets.annotation(e.getValue(), Labels.CA_PRIMARY).orElse("").equals(primary.name()))
        .map(Map.Entry::getKey).min(Long::compare)
        .orElse(generations.keySet().stream().min(Long::compare).orElseThrow());
    status.ca = caStatus(name, adopted, CaSecrets.read(generations.get(adopted)).certificate());
    status.primary = LeafSecrets.annotation(generations.get(adopted), Labels.CA_PRIMARY).orElse(primary.name());
    status.trustedCAs = List.of();
  }

  private static RotationPlanner.Facts rotationFacts(ClusterArray array, ClusterArrayStatus status, ArrayFacts facts,
      Map<Long, Secret> generations, PrimaryCheck primary, ArraySettings settings,
      Optional<ExternalIssuer.Check> issuer, List<Revocation> ledgerEntries, Instant now) {
    long active = status.ca.generation;
    List<Long> trusted = new ArrayList<>();
    if (status.trustedCAs != null) {
      status.trustedCAs.stream().map(t -> t.generation).filter(generations::containsKey).forEach(trusted::add);
    }
    if (!trusted.contains(active)) {
      trusted.add(active);
    }
    trusted.sort(Long::compare);
    RotationPlanner.Phase phase = phaseOf(status.rotation);
    String pendingPem = phase.toGeneration() != null && phase.phase() == RotationPhase.PublishingTrust
        && generations.containsKey(phase.toGeneration())
        ? Pem.encode(CaSecrets.read(generations.get(phase.toGeneration())).root()) : null;
    X509Certificate activeCa = CaSecrets.read(generations.get(active)).certificate();
    Map<Long, String> primaries = new LinkedHashMap<>();
    generations.forEach((g, s) -> primaries.put(g, LeafSecrets.annotation(s, Labels.CA_PRIMARY).orElse("")));
    return new RotationPlanner.Facts(
        active,
        status.primary,
        trusted,
        phase,
        primaries,
        array.getSpec().primary,
        issuer.map(ExternalIssuer.Check::valid).orElse(primary.ok()),
        issuer.isPresent(),
        issuer.filter(ExternalIssuer.Check::valid)
            .map(i -> !i.hash().equals(LeafSecrets.annotation(generations.get(active), CaSource.ISSUER_HASH).orElse("")))
            .orElse(false),
        EventSources.annotation(array, Labels.RENEW_CA),
        status.lastHandledRenewal == null ? null : status.lastHandledRenewal.ca,
        LeafDecision.renewalTime(activeCa, settings.caRenewBefore()),
        facts.participants().size(),
        pendingPem == null ? 0 : (int) facts.participants().stream().filter(s -> ArrayFacts.trusts(s, pendingPem)).count(),
        (int) facts.participants().stream().filter(s -> ArrayFacts.signedBy(s) == active).count(),
        leafGenerations(facts),
        highestGenerationRemembered(status, facts, generations, ledgerEntries),
        settings.trustPropagationDelay(),
        // the last member's new leaf reaches its pod up to trustPropagationDelay after the write:
        // until then its peers must still trust the old CA, whatever a shorter overlap says
        max(settings.overlap(), settings.trustPropagationDelay()),
        now);
  }

  /** The generations that sign a leaf issued now: members' peer and client certificates, the service's. */
  private static Set<Long> leafGenerations(ArrayFacts facts) {
    Set<Long> generations = new java.util.TreeSet<>();
    facts.issued().forEach(s -> generations.add(ArrayFacts.signedBy(s)));
    facts.service().ifPresent(s -> generations.add(ArrayFacts.signedBy(s)));
    generations.remove(0L); // no annotation
    return generations;
  }

  /**
   * The highest CA generation anything remembers (status, the Secrets that exist, leaves, the
   * alias, the revocation ledger): numbers only go up, so two CAs never share one.
   */
  private static long highestGenerationRemembered(ClusterArrayStatus status, ArrayFacts facts,
      Map<Long, Secret> generations, List<Revocation> ledger) {
    java.util.stream.LongStream.Builder seen = java.util.stream.LongStream.builder();
    if (status.ca != null && status.ca.generation != null) {
      seen.add(status.ca.generation);
    }
    if (status.trustedCAs != null) {
      status.trustedCAs.stream().filter(t -> t.generation != null).forEach(t -> seen.add(t.generation));
    }
    generations.keySet().forEach(seen::add);
    leafGenerations(facts).forEach(seen::add);
    facts.alias().flatMap(CaSecrets::generation).ifPresent(seen::add);
    ledger.forEach(r -> seen.add(r.caGeneration()));
    return seen.build().max().orElse(0L);
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private static RotationPlanner.Phase phaseOf(RotationStatus rotation) {
    if (rotation == null || rotation.phase == null) {
      return RotationPlanner.Phase.IDLE;
    }
    return new RotationPlanner.Phase(rotation.phase, rotation.reason, rotation.toGeneration,
        parse(rotation.startedAt), parse(rotation.phaseEndsAt), null);
  }

  private static Instant parse(String timestamp) {
    return timestamp == null ? null : Instant.parse(timestamp);
  }

  private static void applyPlan(ClusterArrayStatus status, RotationPlanner.Plan plan, String name,
      Map<Long, Secret> generations, ArrayFacts facts, Instant now) {
    status.ca = caStatus(name, plan.active(), CaSecrets.read(generations.get(plan.active())).certificate());
    status.primary = plan.activePrimary();
    status.trustedCAs = plan.trusted().stream().map(g -> {
      X509Certificate cert = CaSecrets.read(generations.get(g)).certificate();
      TrustedCa t = new TrustedCa();
      t.generation = g;
      t.fingerprint = Fingerprints.fingerprint(cert);
      t.notAfter = Conditions.timestamp(cert.getNotAfter().toInstant());
      if (g != plan.active() && plan.phase().phase() == RotationPhase.Retiring && plan.phase().phaseEndsAt() != null) {
        t.retireAfter = Conditions.timestamp(plan.phase().phaseEndsAt());
      }
      return t;
    }).toList();
    RotationStatus rotation = status.rotation == null ? new RotationStatus() : status.rotation;
    var phase = plan.phase();
    rotation.phase = phase.phase();
    if (phase.phase() != RotationPhase.Idle) {
      rotation.reason = phase.reason();
      rotation.toGeneration = phase.toGeneration();
      rotation.startedAt = phase.startedAt() == null ? null : Conditions.timestamp(phase.startedAt());
      rotation.phaseEndsAt = phase.phaseEndsAt() == null ? null : Conditions.timestamp(phase.phaseEndsAt());
      rotation.total = facts.participants().size();
      rotation.resigned = phase.phase() == RotationPhase.PublishingTrust ? 0
          : (int) facts.participants().stream().filter(s -> ArrayFacts.signedBy(s) == plan.active()).count();
    } else {
      rotation.phaseEndsAt = null;
    }
    status.rotation = rotation;
    if (status.lastHandledRenewal == null) {
      status.lastHandledRenewal = new HandledRenewals();
    }
    status.lastHandledRenewal.ca = plan.handledCaToken();
  }

  /**
   * An issued Secret whose node, as the cache sees it, no longer holds it rightly: gone,
   * elsewhere, deleting, offline, or (for client certificates and SSH keys) no longer a candidate.
   */
  private static Optional<Entitlement.Suggested<Secret>> suggestRevocation(Secret secret, ArrayFacts facts,
      List<String> candidates, ArraySettings settings) {
    String component = EventSources.label(secret, Labels.COMPONENT);
    Entitlement.Kind kind = Labels.COMPONENT_CLIENT.equals(component) ? Entitlement.Kind.CLIENT
        : Labels.COMPONENT_SSH.equals(component) ? Entitlement.Kind.SSH : Entitlement.Kind.PEER;
    boolean allowed = kind == Entitlement.Kind.CLIENT ? settings.clientCertificates()
        : kind != Entitlement.Kind.SSH || settings.sshKeys();
    Entitlement.Holding holding = new Entitlement.Holding(EventSources.label(secret, Labels.NODE),
        EventSources.label(secret, Labels.ARRAY), kind);
    Optional<ArrayNode> node = facts.member(holding.node());
    return Entitlement.unentitled(holding, node, candidates, allowed)
        .map(reason -> new Entitlement.Suggested<>(secret, holding, allowed, reason));
  }

  /**
   * Revocation cannot be undone: what the cache suggests is confirmed by a live read of each
   * Node, and nothing is revoked while the Node informer has not synced or a live read shows
   * the cache behind.
   */
  private static Entitlement.Confirmed<Secret> confirmAgainstTheApiServer(ClusterArray array,
      Context<ClusterArray> context, List<Entitlement.Suggested<Secret>> suggested, ArrayFacts facts,
      List<String> candidates) {
    if (suggested.isEmpty()) {
      return new Entitlement.Confirmed<>(List.of(), false);
    }
    if (EventSources.source(context, ArrayNode.class, EventSources.NODES).getStatus()
        != io.javaoperatorsdk.operator.health.Status.HEALTHY) {
      return new Entitlement.Confirmed<>(List.of(), true);
    }
    String namespace = array.getMetadata().getNamespace();
    Map<String, Optional<ArrayNode>> live = new LinkedHashMap<>();
    for (var s : suggested) {
      live.computeIfAbsent(s.holding().node(), n -> Optional.ofNullable(
          context.getClient().resources(ArrayNode.class).inNamespace(namespace).withName(n).get()));
    }
    return Entitlement.confirm(suggested, live, facts.membersByName(), candidates);
  }

  /**
   * Certificates members hold now that the array's own CRL lists: their peers refuse them. The
   * node reconcilers reissue them (a revoked certificate is never kept); until then the array
   * is not Ready.
   */
  private static List<VerifyProblem> revokedInUse(List<Revocation> revocations, ArrayFacts facts,
      List<Secret> beingRemoved) {
    Set<java.math.BigInteger> serials = revocations.stream().map(Revocation::serial).collect(Collectors.toSet());
    List<Secret> held = new ArrayList<>(facts.issued());
    facts.service().ifPresent(held::add);
    List<VerifyProblem> found = new ArrayList<>();
    for (Secret secret : held) {
      if (beingRemoved.contains(secret)) {
        continue;
      }
      LeafSecrets.leaf(secret).filter(c -> serials.contains(c.getSerialNumber())).ifPresent(c -> {
        VerifyProblem p = new VerifyProblem();
        p.node = EventSources.label(secret, Labels.NODE);
        p.problem = io.arraypki.operator.api.VerifyProblemKind.RevokedCertificateInUse;
        p.message = secret.getMetadata().getName() + " holds certificate " + SerialNumbers.format(c.getSerialNumber())
            + ", which the array's CRL lists; it is reissued";
        found.add(p);
      });
    }
    return found;
  }

  private static String ledgerLocation(String array, RevocationLedger.Where where) {
    return where == RevocationLedger.Where.PUBLISHED
        ? TrustConfigMaps.REVOCATIONS_JSON + " of ConfigMap " + Names.trustConfigMap(array)
        : TrustConfigMaps.REVOCATIONS_JSON + " of Secret " + Names.revocationLedgerSecret(array);
  }

  private static void announce(EventRecorder events, ClusterArray array, RevocationLedger.Finding finding) {
    String name = array.getMetadata().getName();
    // Corrupt is a condition, announced when it starts
    if (finding instanceof RevocationLedger.Finding.CopyRestored r && r.where() == RevocationLedger.Where.KEPT) {
      events.normal(array, "RevocationLedgerKept", "Secret " + Names.revocationLedgerSecret(name)
          + " keeps a copy of the revocation ledger (" + r.entries() + " entries)");
    } else if (finding instanceof RevocationLedger.Finding.CopyRestored r) {
      events.warning(array, "TrustConfigMapRestored", ledgerLocation(name, r.where()) + " was deleted; recreated"
          + " with the " + r.entries() + " revocation(s) kept in Secret " + Names.revocationLedgerSecret(name));
    } else if (finding instanceof RevocationLedger.Finding.EntriesRestored r) {
      events.warning(array, "RevocationsRestored", ledgerLocation(name, r.where()) + " lacked " + r.missing()
          + " unexpired revocation(s) the other copy holds; they are restored (only its certificate's expiry"
          + " undoes a revocation)");
    } else if (finding instanceof RevocationLedger.Finding.CorruptCopyReplaced r) {
      events.warning(array, "RevocationLedgerRepaired", ledgerLocation(name, r.where()) + " did not parse ("
          + r.problem() + "); rewritten from the other copy");
    } else if (finding instanceof RevocationLedger.Finding.Lost) {
      events.warning(array, "RevocationLedgerLost", "both copies of the revocation ledger (ConfigMap "
          + Names.trustConfigMap(name) + ", Secret " + Names.revocationLedgerSecret(name)
          + ") are gone; certificates revoked before are no longer listed");
    }
  }

  private static String authorizedKeys(ArrayFacts facts, List<String> candidates) {
    StringBuilder keys = new StringBuilder();
    for (String candidate : candidates) {
      facts.issued().stream()
          .filter(s -> candidate.equals(EventSources.label(s, Labels.NODE))
              && Labels.COMPONENT_SSH.equals(EventSources.label(s, Labels.COMPONENT)))
          .findFirst()
          .flatMap(s -> io.arraypki.operator.k8s.SecretData.text(s, SshSecrets.PUBLIC_KEY))
          .ifPresent(keys::append);
    }
    return keys.toString();
  }

  /** The map as it should be (any other edit is undone) and the verify result in its status. */
  private void writeCandidateMap(ClusterArray array, Context<ClusterArray> context, CandidateMapSpec spec,
      Optional<CandidateMap> current, List<VerifyProblem> problems, Instant now) {
    CandidateMap desired = CandidateMaps.resource(array, spec);
    CandidateMap written = ObjectWriter.apply(context, desired, current);
    CandidateMapStatus status = new CandidateMapStatus();
    CandidateMapStatus before = written.getStatus();
    status.observedGeneration = written.getMetadata().getGeneration();
    status.verified = problems.isEmpty();
    status.problems = problems.isEmpty() ? null : problems;
    boolean same = before != null && Objects.equals(before.verified, status.verified)
        && !StatusPatches.changed(before.problems, status.problems)
        && Objects.equals(before.observedGeneration, status.observedGeneration);
    if (same) {
      return;
    }
    status.lastVerified = Conditions.timestamp(now);
    status.conditions = Conditions.set(before == null ? null : before.conditions, VERIFIED, problems.isEmpty(),
        problems.isEmpty() ? "Verified" : "ProblemsFound",
        problems.isEmpty() ? "every entry matches a candidate's client certificate"
            : problems.size() + " problem(s) found and repaired", written.getMetadata().getGeneration(), now);
    CandidateMap patch = CandidateMaps.resource(array, null);
    patch.getMetadata().setOwnerReferences(null);
    patch.getMetadata().setLabels(null);
    patch.getMetadata().setAnnotations(null);
    patch.setSpec(null);
    patch.setStatus(status);
    ObjectWriter.applyStatus(context.getClient(), patch);
  }

  /**
   * The ledger with everything that must be on the CRL now: what it held, certificates of unentitled Secrets,
   * and certificates members superseded by renewal once {@code trustPropagationDelay} has passed
   * since they were replaced (a kubelet delivers the replacement to the member's pod up to about
   * 90 s after the write; revoking at once would have its peers refuse the certificate it still
   * presents until then); expired entries dropped. The earliest deferred revocation is added to
   * {@code wakeAt}.
   */
  private static List<Revocation> revocations(List<Revocation> held, ArrayFacts facts, List<Secret> unentitled,
      Map<Long, Secret> generations, Duration propagationDelay, Instant now, List<Instant> wakeAt) {
    Map<java.math.BigInteger, Revocation> ledger = new LinkedHashMap<>();
    held.stream().filter(r -> r.notAfter().isAfter(now)).forEach(r -> ledger.put(r.serial(), r));
    for (Secret secret : unentitled) {
      long generation = ArrayFacts.signedBy(secret);
      String node = EventSources.label(secret, Labels.NODE);
      LeafSecrets.leaf(secret).filter(c -> generations.containsKey(generation)).ifPresent(cert ->
          ledger.putIfAbsent(cert.getSerialNumber(), new Revocation(cert.getSerialNumber(), generation, now,
              cert.getNotAfter().toInstant(), node, "Removed")));
    }
    List<Secret> replacing = new ArrayList<>(facts.issued());
    facts.service().ifPresent(replacing::add);
    for (Secret secret : replacing) {
      String node = EventSources.label(secret, Labels.NODE);
      for (Revocation superseded : Revocations.parseSuperseded(
          LeafSecrets.annotation(secret, Labels.SUPERSEDED).orElse(null), node, now)) {
        Instant due = superseded.revokedAt().plus(propagationDelay);
        if (!superseded.notAfter().isAfter(now) || ledger.containsKey(superseded.serial())) {
          continue;
        }
        if (due.isAfter(now)) {
          wakeAt.add(due);
        } else {
          ledger.put(superseded.serial(), superseded);
        }
      }
    }
    return new ArrayList<>(ledger.values());
  }

  private static HandledRenewals handledRenewals(ClusterArray array, ClusterArrayStatus status, ArrayFacts facts,
      RotationPlanner.Plan plan) {
    HandledRenewals handled = status.lastHandledRenewal == null ? new HandledRenewals() : status.lastHandledRenewal;
    String token = EventSources.annotation(array, Labels.RENEW_CERTIFICATES);
    if (token != null && !token.equals(handled.certificates) && facts.participants().stream()
        .allMatch(s -> token.equals(LeafSecrets.annotation(s, Labels.ARRAY_RENEWAL_TOKEN).orElse(null)))) {
      handled.certificates = token;
    }
    return handled.ca == null && handled.certificates == null ? null : handled;
  }

  /** The issuer Secret of a brought CA, read directly (it is the user's, not cached) and checked. */
  private static Optional<ExternalIssuer.Check> readIssuer(ClusterArray array, Context<ClusterArray> context,
      ArraySettings settings, Instant now) {
    var spec = array.getSpec().ca;
    if (spec == null || spec.issuerRef == null) {
      return Optional.empty();
    }
    Secret secret = context.getClient().secrets().inNamespace(array.getMetadata().getNamespace())
        .withName(spec.issuerRef.secretName).get();
    if (secret == null) {
      return Optional.of(new ExternalIssuer.Check(null, null, "it does not exist", null));
    }
    return Optional.of(ExternalIssuer.check(
        io.arraypki.operator.k8s.SecretData.text(secret, "tls.crt").orElse(null),
        io.arraypki.operator.k8s.SecretData.text(secret, "tls.key").orElse(null),
        io.arraypki.operator.k8s.SecretData.text(secret, "ca.crt").orElse(null),
        now, settings.peer().duration()));
  }

  private static CandidateSelection.Member candidateFacts(ArrayNode node) {
    var spec = node.getSpec();
    return new CandidateSelection.Member(node.getMetadata().getName(), Boolean.TRUE.equals(spec.masterCandidate),
        spec.masterCapable == null || spec.masterCapable, Boolean.TRUE.equals(spec.offline));
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

  private static void setConditions(ClusterArray array, ClusterArrayStatus status, PrimaryCheck primary,
      boolean noCa, long offline, Instant now) {
    Long generation = array.getMetadata().getGeneration();
    status.conditions = Conditions.set(status.conditions, DEGRADED, !primary.ok(),
        primary.ok() ? "PrimaryReady" : primary.reason(), primary.message(), generation, now);
    if (status.rotation == null) {
      status.rotation = new RotationStatus();
      status.rotation.phase = RotationPhase.Idle;
    }
    RotationStatus r = status.rotation;
    boolean rotating = r.phase != RotationPhase.Idle;
    status.conditions = Conditions.set(status.conditions, ROTATING, rotating, rotating ? r.phase.name() : "Idle",
        rotating ? r.reason + ": " + r.phase + " to CA generation " + r.toGeneration + ", " + r.resigned + " of "
            + r.total + " members re-signed" : "no CA rotation in progress", generation, now);
    long online = status.members - offline;
    boolean allReady = online > 0 && status.readyMembers >= online;
    String reason;
    String message;
    if (noCa) {
      reason = "NoCA";
      message = "no CA yet: " + primary.message();
    } else if (status.members == 0) {
      reason = "NoMembers";
      message = "no Node names this array";
    } else {
      reason = allReady ? "AllMembersReady" : "MembersNotReady";
      message = status.readyMembers + " of " + online + " online members are ready"
          + (offline > 0 ? " (" + offline + " offline)" : "");
    }
    status.conditions = Conditions.set(status.conditions, READY, !noCa && allReady, reason, message, generation, now);
  }
}
