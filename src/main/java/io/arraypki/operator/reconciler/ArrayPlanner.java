package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.CaStatus;
import io.arraypki.operator.api.RenewalStatus;
import io.arraypki.operator.api.CandidateMap;
import io.arraypki.operator.api.CandidateMapSpec;
import io.arraypki.operator.api.CandidateMapStatus;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.api.HandledRenewals;
import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.api.RotationReason;
import io.arraypki.operator.api.RotationStatus;
import io.arraypki.operator.api.TrustState;
import io.arraypki.operator.api.TrustedCa;
import io.arraypki.operator.pki.GoDuration;
import io.arraypki.operator.api.VerifyProblem;
import io.arraypki.operator.api.VerifyProblemKind;
import io.arraypki.operator.k8s.CaSecrets;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.LeafSecrets;
import io.arraypki.operator.k8s.Names;
import io.arraypki.operator.k8s.Revocations;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.k8s.SshSecrets;
import io.arraypki.operator.k8s.TrustConfigMaps;
import io.arraypki.operator.k8s.TrustLeases;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.ExternalIssuer;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.KeySpec;
import io.arraypki.operator.pki.LeafDecision;
import io.arraypki.operator.pki.LeafProfile;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.pki.Revocation;
import io.arraypki.operator.pki.SerialNumbers;
import io.arraypki.operator.pki.Usage;
import io.fabric8.kubernetes.api.model.Secret;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

/**
 * The array's decisions (DESIGN.md sections 3, 4 and 6) as pure functions of an {@link
 * ArrayObservation} and the time. A CA generation is the one thing created before the rest is
 * planned ({@link #firstGeneration}, then {@link #rotation}): its Secret is create-only, and the
 * plan is made from the Secret that won, never from one this process only hoped to write.
 */
final class ArrayPlanner {
  static final String READY = ClusterArrayReconciler.READY;
  static final String DEGRADED = ClusterArrayReconciler.DEGRADED;
  static final String ROTATING = ClusterArrayReconciler.ROTATING;
  static final String VERIFIED = ClusterArrayReconciler.VERIFIED;
  static final String LEDGER_CORRUPT = ClusterArrayReconciler.LEDGER_CORRUPT;
  static final Duration ISSUER_RECHECK = ClusterArrayReconciler.ISSUER_RECHECK;
  static final String MEMBERS_CURRENT = ClusterArrayReconciler.MEMBERS_CURRENT;
  static final String RENEWAL_WINDOWS = ClusterArrayReconciler.RENEWAL_WINDOWS;

  private ArrayPlanner() {}

  /** A CA generation to create (create-only), for a primary; {@code reason} null for the first. */
  record NewCa(long generation, String primary, RotationReason reason) {}

  /**
   * The CA step: the status the rest starts from (a first generation or an adopted one in it) and
   * the rotation planner's plan (absent while the array has no CA).
   */
  record Rotation(ClusterArrayStatus start, Optional<RotationPlanner.Plan> plan) {
    Optional<NewCa> create() {
      return plan.flatMap(RotationPlanner.Plan::create)
          .map(n -> new NewCa(n.generation(), n.primary(), n.reason()));
    }
  }

  /**
   * Generation 1 for a new array that can issue; after every generation Secret was lost, the one
   * above all that is remembered (numbers only go up).
   */
  static Optional<NewCa> firstGeneration(ArrayObservation seen) {
    if (!seen.generations().isEmpty() || !seen.canIssue()) {
      return Optional.empty();
    }
    long first = highestGenerationRemembered(seen.before(), seen.facts(), seen.generations(),
        seen.ledger().entries()) + 1;
    return Optional.of(new NewCa(first, seen.primary().name(), null));
  }

  static Rotation rotation(ArrayObservation seen, Instant now) {
    ClusterArrayStatus status = StatusPatches.copy(seen.before(), ClusterArrayStatus.class);
    Map<Long, Secret> generations = seen.generations();
    firstCreated(seen).ifPresent(first -> {
      status.primary = seen.primary().name();
      status.ca = caStatus(seen.name(), first, CaSecrets.read(generations.get(first)).certificate());
      status.trustedCAs = List.of();
    });
    if (!generations.isEmpty() && (status.ca == null || !generations.containsKey(status.ca.generation))) {
      adoptSigningCa(status, seen.name(), generations, seen.primary());
    }
    if (generations.isEmpty()) {
      return new Rotation(status, Optional.empty());
    }
    return new Rotation(status, Optional.of(RotationPlanner.plan(rotationFacts(seen, status, now))));
  }

  static ArrayPlan plan(ArrayObservation seen, Rotation rotation, Instant now) {
    String name = seen.name();
    ArrayFacts facts = seen.facts();
    ArraySettings settings = seen.settings();
    Map<Long, Secret> generations = seen.generations();
    RevocationLedger.Reading ledger = seen.ledger();
    Optional<ExternalIssuer.Check> issuer = seen.issuer();
    ClusterArrayStatus status = StatusPatches.copy(rotation.start(), ClusterArrayStatus.class);
    List<ArrayAnnouncement> say = new ArrayList<>();
    List<Instant> wakeAt = new ArrayList<>();

    ledger.findings().forEach(f -> say.add(new ArrayAnnouncement.LedgerFinding(name, f)));
    firstCreated(seen).ifPresent(first -> {
      say.add(new ArrayAnnouncement.CaGenerated(first, seen.primary().name(),
          issuer.map(i -> seen.array().getSpec().ca.issuerRef.secretName),
          Fingerprints.fingerprint(CaSecrets.read(generations.get(first)).certificate())));
      issuer.map(ExternalIssuer.Check::warning).ifPresent(w -> say.add(new ArrayAnnouncement.IssuerEndsEarly(w)));
    });
    List<Long> trusted = List.of();
    RotationPlanner.Plan caPlan = rotation.plan().orElse(null);
    if (caPlan != null) {
      if (caPlan.create().isPresent()) {
        issuer.map(ExternalIssuer.Check::warning).ifPresent(w -> say.add(new ArrayAnnouncement.IssuerEndsEarly(w)));
      }
      trusted = caPlan.trusted();
      applyRotation(status, caPlan, name, generations, facts);
      if (issuer.isPresent() && seen.primary().ok()) {
        status.primary = seen.primary().name(); // an external CA is not the primary's: a new primary needs no new CA
      }
      caPlan.wakeAt().ifPresent(wakeAt::add);
      caPlan.events().forEach(e -> say.add(ArrayAnnouncement.RotationStep.of(e)));
    }
    if (issuer.isPresent()) {
      wakeAt.add(now.plus(ISSUER_RECHECK)); // the issuer Secret is the user's and not watched
    }

    List<String> candidates = seen.candidates();
    List<VerifyProblem> problems = new ArrayList<>(CandidateMaps.verify(seen.candidateMap(), candidates, facts));
    // A demoted node keeps its client material until the status naming the new candidates is
    // written: its own reconciler, still seeing it as a candidate, would otherwise issue again
    // what was just revoked. The next reconcile (woken here) revokes it.
    if (seen.entitled().size() > candidates.size()) {
      wakeAt.add(now.plusSeconds(1));
    }
    Entitlement.Confirmed<Secret> confirmed = seen.confirmed();
    if (confirmed.cacheBehind()) {
      wakeAt.add(now.plusSeconds(1)); // nothing is revoked on a cache that lags; look again soon
    }
    List<Secret> unentitled = confirmed.revoke().stream().map(Entitlement.Suggested::item).toList();
    List<Secret> suspected = seen.suggested().stream().map(Entitlement.Suggested::item).toList();
    List<Secret> foreign = facts.issued().stream()
        .filter(s -> CandidateMaps.foreignCertificate(s, facts).isPresent() && !suspected.contains(s)).toList();

    Optional<ArrayPlan.Write<Secret>> keptLedger = Optional.empty();
    Optional<ArrayPlan.Write<io.fabric8.kubernetes.api.model.ConfigMap>> trust = Optional.empty();
    Optional<ArrayPlan.CandidateMapWrite> candidateMap = Optional.empty();
    Optional<ArrayPlan.ServiceCertificate> service = Optional.empty();
    Optional<ArrayPlan.Write<Secret>> alias = Optional.empty();
    List<Secret> deletions = new ArrayList<>();
    // Failing closed, nothing that depends on the ledger moves: no CRL, no revocation, no removal.
    if (!generations.isEmpty() && !ledger.failClosed()) {
      List<Revocation> revocations = revocations(ledger.entries(), facts, unentitled, generations,
          settings.trustPropagationDelay(), now, wakeAt);
      revocations = clientsSuperseded(revocations, seen.clientRequests(), settings.trustPropagationDelay(), now,
          wakeAt);
      problems.addAll(revokedInUse(revocations, facts, unentitled));
      Map<Long, CertificateAuthority> trustedCas = new LinkedHashMap<>();
      trusted.forEach(g -> trustedCas.put(g, CaSecrets.read(generations.get(g))));
      CandidateMapSpec mapSpec = CandidateMaps.desired(seen.array(), candidates, facts);
      Map<String, String> extra = new LinkedHashMap<>();
      extra.put(TrustConfigMaps.CANDIDATE_MAP_JSON, CandidateMaps.json(mapSpec));
      if (settings.sshKeys()) {
        extra.put(TrustConfigMaps.AUTHORIZED_KEYS, authorizedKeys(facts, candidates));
      }
      var desired = TrustConfigMaps.desired(seen.array(), trustedCas, revocations, extra, seen.trust(), now);
      long active = status.ca.generation;
      int newlyRevoked = revocations.size() - ledger.entries().size();
      if (newlyRevoked > 0) {
        say.add(new ArrayAnnouncement.Revoked(newlyRevoked));
      }
      // the kept copy first: it never holds less than the published one
      keptLedger = ArrayPlan.Write.ifChanged(Revocations.keptCopy(seen.array(), revocations), seen.keptLedger());
      trust = ArrayPlan.Write.ifChanged(desired.configMap(), seen.trust());
      wakeAt.add(desired.crlRefreshAt());
      candidateMap = Optional.of(new ArrayPlan.CandidateMapWrite(CandidateMaps.resource(seen.array(), mapSpec),
          seen.candidateMap(), problems));
      CertificateAuthority signing = CaSecrets.read(generations.get(active));
      if (seen.array().getSpec().serviceCertificate == null) {
        facts.service().ifPresent(deletions::add);
      } else {
        IssuingView view = IssuingView.ofArrayItself(seen.array(), signing, active,
            TrustConfigMaps.bundle(desired.configMap()), trusted.stream().max(Long::compare).orElse(active),
            revocations, seen.keystores());
        service = Optional.of(serviceCertificate(seen.array(), view, facts));
      }
      alias = ArrayPlan.Write.ifChanged(CaSecrets.secret(Names.caSecret(name), seen.array(), name, active, signing),
          seen.alias());
      for (long retired : caPlan.delete()) {
        if (retired != active && !trusted.contains(retired) && generations.containsKey(retired)) {
          deletions.add(generations.get(retired));
        }
      }
    }
    // Revoked above (when the array has a CA) before anything is deleted: a crash in between
    // leaves the Secret for the next reconcile, never an unrevoked certificate.
    if (!ledger.failClosed()) {
      for (Entitlement.Suggested<Secret> revoked : confirmed.revoke()) {
        deletions.add(revoked.item());
        say.add(new ArrayAnnouncement.MaterialRevoked(revoked.item().getMetadata().getName(),
            EventSources.label(revoked.item(), Labels.NODE), revoked.reason().text()));
      }
    }
    // A certificate copied from another node is removed, not revoked: it is that node's own.
    deletions.addAll(foreign);
    if (!problems.isEmpty()) {
      say.add(new ArrayAnnouncement.VerifyFailed(List.copyOf(problems)));
    }

    status.candidates = candidates;
    status.members = facts.members().size();
    status.readyMembers = (int) facts.members().stream()
        .filter(n -> n.getStatus() != null && Conditions.isTrue(n.getStatus().conditions, READY)).count();
    status.lastHandledRenewal = handledRenewals(seen.array(), status, facts);
    status.observedGeneration = seen.generation();
    say.addAll(setConditions(seen, status, generations.isEmpty(), problems, now));
    renewal(seen, status, now, wakeAt, say);

    Optional<Instant> wake = wakeAt.stream().filter(Objects::nonNull).min(Instant::compareTo)
        .map(t -> t.isBefore(now) ? now : t); // a wake time past is due now, never far off
    List<ClientReissue.Request> reissue = generations.isEmpty() || status.ca == null || status.ca.generation == null
        ? List.of() : ClientReissue.due(seen.clientRequests(), status.ca.generation, trusted);
    return new ArrayPlan(keptLedger, trust, candidateMap, service, alias, List.copyOf(deletions),
        releasedFinalizers(facts, deletions), List.copyOf(say), status, StatusPatches.changed(seen.before(), status), wake,
        reissue);
  }

  /**
   * Departing Nodes (deleted, with an earlier operator's finalizer) none of whose issued Secrets
   * outlives this plan: everything they held is revoked and deleted first, then they may go.
   */
  static List<ArrayNode> releasedFinalizers(ArrayFacts facts, List<Secret> deletions) {
    return facts.departing().stream()
        .filter(n -> facts.issued().stream()
            .filter(s -> n.getMetadata().getName().equals(EventSources.label(s, Labels.NODE)))
            .allMatch(deletions::contains))
        .toList();
  }

  /** The candidates now: CandidateSelection over the members, keeping those that hold their client certificate. */
  static List<String> candidates(ClusterArray array, ArraySettings settings, ArrayFacts facts) {
    List<String> published = published(array);
    // The candidates now: those the status names and those holding their own client certificate
    // (a status write lost in a crash or an API server restart must not demote them).
    List<String> current = new ArrayList<>(published);
    facts.issued().stream()
        .filter(s -> Labels.COMPONENT_CLIENT.equals(EventSources.label(s, Labels.COMPONENT)))
        .filter(s -> LeafSecrets.leaf(s).isPresent() && CandidateMaps.foreignCertificate(s, facts).isEmpty())
        .map(s -> EventSources.label(s, Labels.NODE))
        .filter(n -> !current.contains(n))
        .forEach(current::add);
    return CandidateSelection.select(array.getSpec().primary,
        facts.members().stream().map(ArrayPlanner::candidateFacts).toList(),
        settings.poolSize(), settings.autoPromote(), current);
  }

  /** The candidates and those the status still names (they keep their material until it is written). */
  static List<String> entitled(ClusterArray array, List<String> candidates) {
    List<String> entitled = new ArrayList<>(candidates);
    published(array).stream().filter(n -> !entitled.contains(n)).forEach(entitled::add);
    return entitled;
  }

  static List<Entitlement.Suggested<Secret>> suggestedRevocations(ArrayFacts facts, List<String> entitled,
      ArraySettings settings) {
    return facts.issued().stream().flatMap(s -> suggestRevocation(s, facts, entitled, settings).stream()).toList();
  }

  /** Whether the candidate map's status already says what the verify found. */
  static boolean sameMapStatus(CandidateMap written, List<VerifyProblem> problems) {
    CandidateMapStatus before = written.getStatus();
    return before != null && Objects.equals(before.verified, problems.isEmpty())
        && !StatusPatches.changed(before.problems, problems.isEmpty() ? null : problems)
        && Objects.equals(before.observedGeneration, written.getMetadata().getGeneration());
  }

  /** The candidate map's status for what the verify found, or empty when it already says so. */
  static Optional<CandidateMapStatus> mapStatus(CandidateMap written, List<VerifyProblem> problems, Instant now) {
    if (sameMapStatus(written, problems)) {
      return Optional.empty();
    }
    CandidateMapStatus before = written.getStatus();
    CandidateMapStatus status = new CandidateMapStatus();
    status.observedGeneration = written.getMetadata().getGeneration();
    status.verified = problems.isEmpty();
    status.problems = problems.isEmpty() ? null : problems;
    status.lastVerified = Conditions.timestamp(now);
    status.conditions = Conditions.set(before == null ? null : before.conditions, VERIFIED, problems.isEmpty(),
        problems.isEmpty() ? "Verified" : "ProblemsFound",
        problems.isEmpty() ? "every entry matches a candidate's client certificate"
            : problems.size() + " problem(s) found and repaired", written.getMetadata().getGeneration(), now);
    return Optional.of(status);
  }

  private static List<String> published(ClusterArray array) {
    return array.getStatus() == null || array.getStatus().candidates == null ? List.of()
        : array.getStatus().candidates;
  }

  /** The first generation, when this reconcile created it (no generation Secret was in the cache). */
  private static Optional<Long> firstCreated(ArrayObservation seen) {
    return seen.facts().generations().isEmpty() && !seen.created().isEmpty()
        ? Optional.of(seen.created().get(0)) : Optional.empty();
  }

  /**
   * The one certificate for the load-balancer name, {@code <array>-service-tls}, kept like a
   * member's: signed by the signing CA, renewed, re-signed on a rotation.
   */
  private static ArrayPlan.ServiceCertificate serviceCertificate(ClusterArray array, IssuingView view,
      ArrayFacts facts) {
    var spec = array.getSpec().serviceCertificate;
    List<String> dns = new ArrayList<>();
    if (!spec.commonName.startsWith("*")) {
      dns.add(spec.commonName);
    }
    if (spec.dnsNames != null) {
      spec.dnsNames.stream().filter(d -> !dns.contains(d)).forEach(dns::add);
    }
    ArraySettings settings = view.settings();
    ArraySettings.Validity validity = settings.service(spec);
    var key = spec.privateKey == null || spec.privateKey.algorithm == null ? settings.peerKey()
        : KeySpec.of(spec.privateKey.algorithm.name(), spec.privateKey.size);
    var profile = new LeafProfile(spec.commonName, dns, spec.ipAddresses == null ? List.of() : spec.ipAddresses,
        List.of(), Set.of(Usage.SERVER_AUTH), key, validity.duration(), validity.renewBefore());
    String name = Names.serviceSecret(array.getMetadata().getName());
    return new ArrayPlan.ServiceCertificate(view, new LeafIssuer.Target(array, null, name,
        Labels.COMPONENT_SERVICE, profile, facts.service(), null), spec.commonName);
  }

  /**
   * The signing CA's time-based renewal: its successor activates at the renewal time moved into a
   * renewal window (spread by the array's uid), and is made and published prepareBefore ahead of
   * the renewal's due time, never before the CA itself began. (A brought CA is never renewed by
   * time: the rotation planner does not ask.)
   */
  record CaSchedule(io.arraypki.operator.pki.RenewalTime activation, Instant planned, Instant preparation) {
    static CaSchedule of(X509Certificate ca, ArraySettings settings, RenewalPolicy policy, String arrayUid,
        Instant now) {
      double spread = io.arraypki.operator.pki.RenewalTime.spread((arrayUid == null ? "" : arrayUid) + "/ca");
      var activation = LeafDecision.scheduled(ca, settings.caRenewBefore(), policy.windows(), spread, now);
      // status shows the time as planned, which does not move with the clock (the activation, as
      // seen now, is now itself once a window is open: a status written on every reconcile)
      Instant planned = activation.at().isAfter(now) ? activation.at()
          : LeafDecision.scheduled(ca, settings.caRenewBefore(), policy.windows(), spread).at();
      Instant due = LeafDecision.renewalTime(ca, settings.caRenewBefore());
      Instant prepare = due.minus(settings.caPrepareBefore());
      Instant notBefore = ca.getNotBefore().toInstant();
      return new CaSchedule(activation, planned, prepare.isBefore(notBefore) ? notBefore : prepare);
    }

    /** Why the activation falls outside every window, or null. */
    String outsideWindow() {
      return activation.kind() == io.arraypki.operator.pki.RenewalTime.Kind.LAST_SAFE_MOMENT
          && !activation.message().isEmpty() ? activation.message() : null;
    }
  }

  /**
   * The array's renewal windows as applied (condition RenewalWindows, a Warning when they are
   * refused), the next window and the CA's schedule in status.renewal, and the wake at the next
   * window's opening or closing so that status.renewal moves with time.
   */
  private static void renewal(ArrayObservation seen, ClusterArrayStatus status, Instant now, List<Instant> wakeAt,
      List<ArrayAnnouncement> say) {
    RenewalPolicy policy = RenewalPolicy.of(seen.array().getSpec(), seen.settings(), now);
    String reason = policy.verdict().name();
    if (policy.refused() && !Conditions.find(seen.before().conditions, RENEWAL_WINDOWS)
        .map(c -> reason.equals(c.getReason()) && policy.message().equals(c.getMessage())).orElse(false)) {
      say.add(new ArrayAnnouncement.RenewalWindowsRefused(reason, policy.message()));
    }
    status.conditions = Conditions.set(status.conditions, RENEWAL_WINDOWS, !policy.refused(), reason,
        policy.message(), seen.generation(), now);
    RenewalStatus renewal = new RenewalStatus();
    policy.windows().windowAtOrAfter(now).ifPresent(w -> {
      renewal.nextWindowStart = Conditions.timestamp(w.start());
      renewal.nextWindowEnd = Conditions.timestamp(w.end());
      wakeAt.add(w.start().isAfter(now) ? w.start() : w.end());
    });
    boolean external = seen.array().getSpec().ca != null && seen.array().getSpec().ca.issuerRef != null;
    Secret signing = status.ca == null ? null : seen.generations().get(status.ca.generation);
    if (!external && signing != null) {
      CaSchedule ca = CaSchedule.of(CaSecrets.read(signing).certificate(), seen.settings(), policy,
          seen.array().getMetadata().getUid(), now);
      renewal.caRenewalTime = Conditions.timestamp(ca.planned());
      renewal.caPreparationTime = Conditions.timestamp(ca.preparation());
    }
    status.renewal = renewal.nextWindowStart == null && renewal.caRenewalTime == null ? null : renewal;
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

  private static RotationPlanner.Facts rotationFacts(ArrayObservation seen, ClusterArrayStatus status, Instant now) {
    ClusterArray array = seen.array();
    ArrayFacts facts = seen.facts();
    Map<Long, Secret> generations = seen.generations();
    ArraySettings settings = seen.settings();
    Optional<ExternalIssuer.Check> issuer = seen.issuer();
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
    String pendingPem = phase.toGeneration() != null && pending(phase)
        && generations.containsKey(phase.toGeneration())
        ? Pem.encode(CaSecrets.read(generations.get(phase.toGeneration())).root()) : null;
    X509Certificate activeCa = CaSecrets.read(generations.get(active)).certificate();
    CaSchedule caSchedule = CaSchedule.of(activeCa, settings, RenewalPolicy.of(array.getSpec(), settings, now),
        array.getMetadata().getUid(), now);
    Map<Long, String> primaries = new LinkedHashMap<>();
    generations.forEach((g, s) -> primaries.put(g, LeafSecrets.annotation(s, Labels.CA_PRIMARY).orElse("")));
    return new RotationPlanner.Facts(
        active,
        status.primary,
        trusted,
        phase,
        primaries,
        array.getSpec().primary,
        seen.canIssue(),
        issuer.isPresent(),
        issuer.filter(ExternalIssuer.Check::valid)
            .map(i -> !i.hash().equals(LeafSecrets.annotation(generations.get(active), CaSource.ISSUER_HASH).orElse("")))
            .orElse(false),
        EventSources.annotation(array, Labels.RENEW_CA),
        status.lastHandledRenewal == null ? null : status.lastHandledRenewal.ca,
        caSchedule.activation().at(),
        caSchedule.preparation(),
        caSchedule.outsideWindow(),
        facts.participants().size(),
        pendingPem == null ? 0 : (int) facts.participants().stream().filter(s -> ArrayFacts.trusts(s, pendingPem)).count(),
        (int) facts.participants().stream().filter(s -> ArrayFacts.signedBy(s) == active).count(),
        leafGenerations(facts),
        highestGenerationRemembered(status, facts, generations, seen.ledger().entries()),
        settings.trustPropagationDelay(),
        // the last member's new leaf reaches its pod up to trustPropagationDelay after the write:
        // until then its peers must still trust the old CA, whatever a shorter overlap says
        max(settings.overlap(), settings.trustPropagationDelay()),
        confirmations(facts, phase, generations, active),
        settings.confirmationTimeout(),
        now);
  }

  /**
   * Who of the participants confirms on a trust Lease, and what they have not confirmed yet:
   * trusting the pending CA (PublishingTrust), serving the certificate their Secret holds now,
   * signed by the signing CA (Resigning, Retiring). The service certificate never confirms.
   */
  private static Optional<Secret> clientSecret(ArrayFacts facts, String node) {
    return facts.issued().stream()
        .filter(s -> Labels.COMPONENT_CLIENT.equals(EventSources.label(s, Labels.COMPONENT))
            && node.equals(EventSources.label(s, Labels.NODE)))
        .findFirst();
  }

  static RotationPlanner.Confirmations confirmations(ArrayFacts facts, RotationPlanner.Phase phase,
      Map<Long, Secret> generations, long active) {
    String pendingDigest = pending(phase) && phase.toGeneration() != null
        && generations.containsKey(phase.toGeneration())
        ? Fingerprints.digest(CaSecrets.read(generations.get(phase.toGeneration())).root()) : null;
    List<String> notTrusting = new ArrayList<>();
    List<String> notServing = new ArrayList<>();
    boolean anySilent = false;
    for (Secret participant : facts.participants()) {
      String node = EventSources.label(participant, Labels.NODE);
      Optional<TrustLeases.Confirmation> confirmed = Labels.COMPONENT_PEER.equals(
          EventSources.label(participant, Labels.COMPONENT)) ? facts.confirmation(node) : Optional.empty();
      if (confirmed.isEmpty()) {
        anySilent = true;
        continue;
      }
      if (pendingDigest != null && !confirmed.get().trusts(pendingDigest)) {
        notTrusting.add(node);
      }
      boolean servesActive = ArrayFacts.signedBy(participant) == active && LeafSecrets.leaf(participant)
          .map(leaf -> confirmed.get().serves(leaf.getSerialNumber())).orElse(false);
      // A member that reports more than its peer certificate serves a client identity too: its
      // current client certificate must be among them. One that reports the peer certificate
      // alone has its client Secret in the same pod, which the kubelet updates in the same sync.
      if (servesActive && confirmed.get().leafSerials().size() > 1) {
        servesActive = clientSecret(facts, node)
            .filter(c -> ArrayFacts.signedBy(c) == active)
            .flatMap(LeafSecrets::leaf)
            .map(leaf -> confirmed.get().serves(leaf.getSerialNumber()))
            .orElse(true);
      }
      if (!servesActive) {
        notServing.add(node);
      }
    }
    notTrusting.sort(null);
    notServing.sort(null);
    return new RotationPlanner.Confirmations(List.copyOf(notTrusting), List.copyOf(notServing), anySilent);
  }

  /** The generations that sign a leaf issued now: members' peer and client certificates, the service's. */
  private static Set<Long> leafGenerations(ArrayFacts facts) {
    Set<Long> generations = new TreeSet<>();
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
    LongStream.Builder seen = LongStream.builder();
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
        parse(rotation.startedAt), parse(rotation.phaseEndsAt), null, parse(rotation.waitingSince));
  }

  /** Whether the phase's CA is published but does not sign yet (PublishingTrust, Prepared). */
  private static boolean pending(RotationPlanner.Phase phase) {
    return phase.phase() == RotationPhase.PublishingTrust || phase.phase() == RotationPhase.Prepared;
  }

  private static Instant parse(String timestamp) {
    return timestamp == null ? null : Instant.parse(timestamp);
  }

  private static void applyRotation(ClusterArrayStatus status, RotationPlanner.Plan plan, String name,
      Map<Long, Secret> generations, ArrayFacts facts) {
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
      rotation.waitingSince = phase.waitingSince() == null ? null : Conditions.timestamp(phase.waitingSince());
      rotation.waitingFor = plan.waitingFor().isEmpty() ? null : plan.waitingFor().stream().limit(RotationPlanner.MEMBERS_NAMED)
          .toList();
      rotation.waitingForCount = plan.waitingFor().isEmpty() ? null : plan.waitingFor().size();
      rotation.resigned = pending(phase) ? 0
          : (int) facts.participants().stream().filter(s -> ArrayFacts.signedBy(s) == plan.active()).count();
    } else {
      rotation.phaseEndsAt = null;
      rotation.waitingSince = null;
      rotation.waitingFor = null;
      rotation.waitingForCount = null;
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
        EventSources.label(secret, Labels.ARRAY), kind, EventSources.annotation(secret, Labels.NODE_UID));
    Optional<ArrayNode> node = facts.member(holding.node());
    return Entitlement.unentitled(holding, node, candidates, allowed)
        .map(reason -> new Entitlement.Suggested<>(secret, holding, allowed, reason));
  }

  /**
   * Certificates members hold now that the array's own CRL lists: their peers refuse them. The
   * node reconcilers reissue them (a revoked certificate is never kept); until then the array
   * is not Ready.
   */
  private static List<VerifyProblem> revokedInUse(List<Revocation> revocations, ArrayFacts facts,
      List<Secret> beingRemoved) {
    Set<BigInteger> serials = revocations.stream().map(Revocation::serial).collect(Collectors.toSet());
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
        p.problem = VerifyProblemKind.RevokedCertificateInUse;
        p.message = secret.getMetadata().getName() + " holds certificate " + SerialNumbers.format(c.getSerialNumber())
            + ", which the array's CRL lists; it is reissued";
        found.add(p);
      });
    }
    return found;
  }

  private static String authorizedKeys(ArrayFacts facts, List<String> candidates) {
    StringBuilder keys = new StringBuilder();
    for (String candidate : candidates) {
      facts.issued().stream()
          .filter(s -> candidate.equals(EventSources.label(s, Labels.NODE))
              && Labels.COMPONENT_SSH.equals(EventSources.label(s, Labels.COMPONENT)))
          .findFirst()
          .flatMap(s -> SecretData.text(s, SshSecrets.PUBLIC_KEY))
          .ifPresent(keys::append);
    }
    return keys.toString();
  }

  /**
   * The ledger with everything that must be on the CRL now: what it held, certificates of unentitled Secrets,
   * and certificates members superseded by renewal once their member confirmed it serves the
   * replacement, or else once {@code trustPropagationDelay} has passed since they were replaced (a kubelet delivers the replacement to the member's pod up to about
   * 90 s after the write; revoking at once would have its peers refuse the certificate it still
   * presents until then); expired entries dropped. The earliest deferred revocation is added to
   * {@code wakeAt}.
   */
  private static List<Revocation> revocations(List<Revocation> held, ArrayFacts facts, List<Secret> unentitled,
      Map<Long, Secret> generations, Duration propagationDelay, Instant now, List<Instant> wakeAt) {
    Map<BigInteger, Revocation> ledger = new LinkedHashMap<>();
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
      revokeWhenDue(ledger, Revocations.parseSuperseded(LeafSecrets.annotation(secret, Labels.SUPERSEDED).orElse(null),
          node, now), propagationDelay, now, wakeAt, serial -> confirmedReplaced(facts, node, secret, serial));
    }
    return new ArrayList<>(ledger.values());
  }

  /**
   * Puts on the ledger each replaced certificate that is still valid and not listed yet, once
   * {@code propagationDelay} has passed since it was replaced or its holder confirmed it serves
   * the replacement; the others' due times go to {@code wakeAt}.
   */
  private static void revokeWhenDue(Map<BigInteger, Revocation> ledger, List<Revocation> replaced,
      Duration propagationDelay, Instant now, List<Instant> wakeAt, java.util.function.Predicate<BigInteger> confirmed) {
    for (Revocation superseded : replaced) {
      if (!superseded.notAfter().isAfter(now) || ledger.containsKey(superseded.serial())) {
        continue;
      }
      Instant due = superseded.revokedAt().plus(propagationDelay);
      if (due.isAfter(now) && !confirmed.test(superseded.serial())) {
        wakeAt.add(due);
      } else {
        ledger.put(superseded.serial(), superseded);
      }
    }
  }

  /**
   * The certificates of the array's cert-manager clients that a newer one replaced (listed on the
   * request that replaced them), revoked once the client has had the trust propagation delay to
   * load the replacement (cert-manager writes it into the client's Secret at once; the kubelet
   * takes up to a minute to deliver it).
   */
  static List<Revocation> clientsSuperseded(List<Revocation> revocations,
      List<io.arraypki.operator.k8s.certmanager.CertificateRequest> requests, Duration propagationDelay, Instant now,
      List<Instant> wakeAt) {
    Map<BigInteger, Revocation> ledger = new LinkedHashMap<>();
    revocations.forEach(r -> ledger.put(r.serial(), r));
    for (var request : requests) {
      String holder = "certificate/" + Optional.ofNullable(EventSources.annotation(request,
          io.arraypki.operator.k8s.certmanager.CertificateRequest.CERTIFICATE_NAME))
          .orElse(request.getMetadata().getName());
      // cert-manager's clients never confirm: the delay alone decides
      revokeWhenDue(ledger, Revocations.parseSuperseded(EventSources.annotation(request,
          CertificateRequestSigner.SUPERSEDED), holder, now), propagationDelay, now, wakeAt, serial -> false);
    }
    return new ArrayList<>(ledger.values());
  }

  /**
   * Whether the member confirmed it serves the certificate {@code secret} holds now and no longer
   * the superseded one: then nobody is shown the superseded certificate any more, and revoking
   * it need not wait for the propagation delay.
   */
  private static boolean confirmedReplaced(ArrayFacts facts, String node, Secret secret, BigInteger superseded) {
    return facts.confirmation(node)
        .filter(c -> !c.serves(superseded))
        .filter(c -> LeafSecrets.leaf(secret).map(leaf -> c.serves(leaf.getSerialNumber())).orElse(false))
        .isPresent();
  }

  private static HandledRenewals handledRenewals(ClusterArray array, ClusterArrayStatus status, ArrayFacts facts) {
    HandledRenewals handled = status.lastHandledRenewal == null ? new HandledRenewals() : status.lastHandledRenewal;
    String token = EventSources.annotation(array, Labels.RENEW_CERTIFICATES);
    if (token != null && !token.equals(handled.certificates) && facts.participants().stream()
        .allMatch(s -> token.equals(LeafSecrets.annotation(s, Labels.ARRAY_RENEWAL_TOKEN).orElse(null)))) {
      handled.certificates = token;
    }
    return handled.ca == null && handled.certificates == null ? null : handled;
  }

  private static CandidateSelection.Member candidateFacts(ArrayNode node) {
    var spec = node.getSpec();
    return new CandidateSelection.Member(node.getMetadata().getName(), Boolean.TRUE.equals(spec.masterCandidate),
        spec.masterCapable == null || spec.masterCapable, Boolean.TRUE.equals(spec.offline));
  }

  /**
   * MembersCurrent: False while a member that confirms has not confirmed what its Secret holds
   * for longer than confirmationTimeout (its node's trust state is Stale): a member that stopped
   * reloading its files is a problem whether or not a rotation waits for it.
   */
  private static void membersCurrent(ArrayObservation seen, ClusterArrayStatus status, Long generation, Instant now) {
    List<String> stale = new ArrayList<>();
    int confirming = 0;
    for (ArrayNode member : seen.facts().members()) {
      var trust = member.getStatus() == null ? null : member.getStatus().trust;
      if (trust == null || trust.state == null || trust.state == TrustState.Unconfirmed) {
        continue;
      }
      confirming++;
      if (trust.state == TrustState.Stale) {
        stale.add(member.getMetadata().getName());
      }
    }
    stale.sort(null);
    String reason;
    String message;
    if (!stale.isEmpty()) {
      reason = "MembersStale";
      message = stale.size() + " member(s) have not confirmed the bundle and certificate their Secrets hold for over "
          + GoDuration.format(seen.settings().confirmationTimeout()) + ": "
          + RotationPlanner.named(stale);
    } else if (confirming == 0) {
      reason = "NoConfirmingMembers";
      message = "no member confirms what it has loaded (a Node with a serviceAccountName whose daemon uses the member"
          + " library or the confirm-trust sidecar does): rotations wait for trustPropagationDelay";
    } else {
      // not how many are current now: that moves with every delivery, and the array's status
      // would be written for each (waitingFor and the Nodes' Trust column say it)
      reason = "NoneStale";
      message = confirming + " member(s) confirm what they load; none is behind for longer than "
          + GoDuration.format(seen.settings().confirmationTimeout());
    }
    status.conditions = Conditions.set(status.conditions, MEMBERS_CURRENT, stale.isEmpty(), reason, message,
        generation, now);
  }

  static CaStatus caStatus(String array, long generation, X509Certificate certificate) {
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

  /**
   * The array's conditions, each decided once here (so lastTransitionTime moves only when a
   * condition's status does), and the announcements of those that start now.
   */
  private static List<ArrayAnnouncement> setConditions(ArrayObservation seen, ClusterArrayStatus status,
      boolean noCa, List<VerifyProblem> problems, Instant now) {
    List<ArrayAnnouncement> say = new ArrayList<>();
    List<io.fabric8.kubernetes.api.model.Condition> before = seen.before().conditions;
    Long generation = seen.generation();
    PrimaryCheck primary = seen.primary();
    String arrayName = seen.name();
    String beforeDegradedReason = Conditions.find(before, DEGRADED).map(c -> c.getReason()).orElse("");

    // Degraded: a corrupt ledger outranks an invalid issuer, which outranks the primary's state
    boolean degraded = !primary.ok();
    String degradedReason = primary.ok() ? "PrimaryReady" : primary.reason();
    String degradedMessage = primary.message();
    Optional<ExternalIssuer.Check> issuer = seen.issuer();
    if (issuer.isPresent() && !issuer.get().valid()) {
      degraded = true;
      degradedReason = "IssuerInvalid";
      degradedMessage = "issuer Secret " + seen.array().getSpec().ca.issuerRef.secretName + " is invalid: "
          + issuer.get().problem() + "; nothing is issued with it, what was issued before stays";
      boolean startsNow = !Conditions.isTrue(before, DEGRADED) || Conditions.find(before, DEGRADED).isEmpty();
      if (startsNow || !"IssuerInvalid".equals(beforeDegradedReason)) {
        say.add(new ArrayAnnouncement.IssuerInvalid(degradedMessage));
      }
    }
    Optional<RevocationLedger.Finding.Corrupt> corrupt = seen.ledger().corrupt();
    if (corrupt.isPresent()) {
      degraded = true;
      degradedReason = LEDGER_CORRUPT;
      degradedMessage = ArrayAnnouncement.LedgerFinding.location(arrayName, corrupt.get().where())
          + " does not parse (" + corrupt.get().problem() + "); until it is repaired nothing is revoked, removed"
          + " or published, and the last CRL stays";
      if (!LEDGER_CORRUPT.equals(beforeDegradedReason)) {
        say.add(new ArrayAnnouncement.LedgerCorrupt(degradedMessage));
      }
    }
    status.conditions = Conditions.set(status.conditions, DEGRADED, degraded, degradedReason, degradedMessage,
        generation, now);

    if (status.rotation == null) {
      status.rotation = new RotationStatus();
      status.rotation.phase = RotationPhase.Idle;
    }
    RotationStatus r = status.rotation;
    // a prepared CA may wait months for its activation: the array is not rotating meanwhile
    boolean prepared = r.phase == RotationPhase.Prepared;
    boolean rotating = r.phase != RotationPhase.Idle && !prepared;
    status.conditions = Conditions.set(status.conditions, ROTATING, rotating, rotating ? r.phase.name()
        : prepared ? "Prepared" : "Idle",
        rotating ? r.reason + ": " + r.phase + " to CA generation " + r.toGeneration + ", " + r.resigned + " of "
            + r.total + " members re-signed"
        : prepared ? "CA generation " + r.toGeneration + " is prepared: in every trust bundle, it starts signing at "
            + r.phaseEndsAt : "no CA rotation in progress", generation, now);

    long offline = seen.facts().members().stream().filter(n -> !ArrayFacts.entitled(n)).count();
    long online = status.members - offline;
    boolean allReady = online > 0 && status.readyMembers >= online;
    long revokedInUse = problems.stream().filter(p -> p.problem == VerifyProblemKind.RevokedCertificateInUse).count();
    boolean ready = !noCa && allReady;
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
    if (revokedInUse > 0) {
      ready = false;
      reason = "RevokedCertificatesInUse";
      message = revokedInUse + " certificate(s) members hold now are on the array's CRL; they are being reissued";
    }
    status.conditions = Conditions.set(status.conditions, READY, ready, reason, message, generation, now);

    membersCurrent(seen, status, generation, now);

    status.conditions = Conditions.set(status.conditions, VERIFIED, problems.isEmpty(),
        problems.isEmpty() ? "Verified" : "ProblemsFound",
        problems.isEmpty() ? "the candidate map and every member's material verify"
            : problems.size() + " problem(s) found and repaired: " + problems.get(0).message,
        generation, now);
    if (Conditions.statusChanged(before, status.conditions, DEGRADED) && !primary.ok() && issuer.isEmpty()) {
      say.add(new ArrayAnnouncement.PrimaryUnusable(primary.reason(), primary.message()));
    }
    return say;
  }
}
