package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.CandidateMap;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.k8s.CaSecrets;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.Names;
import io.arraypki.operator.k8s.Revocations;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.k8s.TrustConfigMaps;
import io.arraypki.operator.pki.ExternalIssuer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.LongFunction;

/**
 * Everything one array reconcile reads, read once: the caches' view of the array, the user's
 * issuer Secret and keystore passwords (not cached), and the live confirmation of what the cache
 * suggests revoking (revocation cannot be undone, so a cache miss alone never decides it). The
 * planner decides from this alone.
 *
 * @param generations the CA generation Secrets, including those created in this reconcile
 * @param created the generations created in this reconcile, in order
 * @param candidates the candidates now (selection is the planner's; it is needed here to know
 *     whose client material to confirm)
 * @param entitled the candidates and those the published status still names
 */
record ArrayObservation(
    ClusterArray array,
    ArraySettings settings,
    ArrayFacts facts,
    PrimaryCheck primary,
    ClusterArrayStatus before,
    Map<Long, Secret> generations,
    List<Long> created,
    Optional<ConfigMap> trust,
    Optional<Secret> keptLedger,
    RevocationLedger.Reading ledger,
    Optional<ExternalIssuer.Check> issuer,
    Optional<CandidateMap> candidateMap,
    Optional<Secret> alias,
    List<String> candidates,
    List<String> entitled,
    List<Entitlement.Suggested<Secret>> suggested,
    Entitlement.Confirmed<Secret> confirmed,
    KeystorePasswords keystores,
    List<io.arraypki.operator.k8s.certmanager.CertificateRequest> clientRequests) {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ArrayObservation.class);

  static ArrayObservation read(ClusterArray array, Context<ClusterArray> context, Instant now) {
    String name = array.getMetadata().getName();
    String namespace = array.getMetadata().getNamespace();
    ArraySettings settings = ArraySettings.of(array.getSpec());
    boolean nodesSynced = EventSources.source(context, ArrayNode.class, EventSources.NODES).getStatus()
        == io.javaoperatorsdk.operator.health.Status.HEALTHY;
    ClusterArrayStatus status = Optional.ofNullable(array.getStatus()).orElseGet(ClusterArrayStatus::new);
    ArrayFacts cached = ArrayFacts.read(array, context);
    ArrayFacts facts = cached.withGenerations(namedButNotCached(name, status, cached.generations(),
        generation -> generationByName(context, namespace, name, generation)));
    return of(array, facts,
        EventSources.get(context, ConfigMap.class, EventSources.CONFIG_MAPS, namespace, Names.trustConfigMap(name)),
        EventSources.get(context, Secret.class, EventSources.SECRETS, namespace, Names.revocationLedgerSecret(name)),
        readIssuer(array, context, settings, now),
        EventSources.get(context, CandidateMap.class, EventSources.CANDIDATE_MAPS, namespace, name),
        EventSources.get(context, Secret.class, EventSources.SECRETS, namespace, Names.caSecret(name)),
        nodesSynced,
        node -> Optional.ofNullable(context.getClient().resources(ArrayNode.class).inNamespace(namespace)
            .withName(node).get()),
        KeystorePasswords.read(context.getClient(), namespace, array.getSpec().keystores), now)
        .withClientRequests(clientRequests(context, namespace, name));
  }

  /**
   * The CA generations the array's status names (signing, trusted, being rotated to) that the
   * cache of the array's Secrets does not hold, as {@code read} finds them. That cache can lag the
   * status: the status this operator wrote is cached as written, while a generation Secret created
   * in the same reconcile arrives later by watch. A generation that seems lost is made anew (a
   * rotation nobody asked for, every member re-signed), so only a read that finds nothing may say
   * it is lost. Whatever {@code read} returns must be that generation of this array's CA.
   */
  static Map<Long, Secret> namedButNotCached(String array, ClusterArrayStatus status, Map<Long, Secret> cached,
      LongFunction<Optional<Secret>> read) {
    SortedSet<Long> named = new TreeSet<>();
    if (status.ca != null && status.ca.generation != null) {
      named.add(status.ca.generation);
    }
    if (status.trustedCAs != null) {
      status.trustedCAs.stream().map(t -> t.generation).filter(Objects::nonNull).forEach(named::add);
    }
    if (status.rotation != null && status.rotation.toGeneration != null) {
      named.add(status.rotation.toGeneration);
    }
    named.removeAll(cached.keySet());
    Map<Long, Secret> found = new TreeMap<>();
    for (long generation : named) {
      read.apply(generation)
          .filter(s -> Labels.COMPONENT_CA.equals(EventSources.label(s, Labels.COMPONENT))
              && array.equals(EventSources.label(s, Labels.ARRAY))
              && s.getMetadata().getName().equals(Names.caGenerationSecret(array, generation))
              && CaSecrets.generation(s).filter(g -> g == generation).isPresent())
          .ifPresent(s -> found.put(generation, s));
    }
    return found;
  }

  /** A CA generation's Secret by name: JOSDK's cache of this operator's recent writes, then the API server. */
  private static Optional<Secret> generationByName(Context<ClusterArray> context, String namespace, String array,
      long generation) {
    String secret = Names.caGenerationSecret(array, generation);
    Optional<Secret> recent = EventSources.get(context, Secret.class, EventSources.SECRETS, namespace, secret);
    Optional<Secret> found = recent.or(() ->
        Optional.ofNullable(context.getClient().secrets().inNamespace(namespace).withName(secret).get()));
    if (found.isPresent()) {
      // the race the read exists for: worth a line when it happens
      LOG.info("{}/{}: CA generation {} is named by the array's status and not in the Secrets' index yet; found {}",
          namespace, array, generation, recent.isPresent() ? "among this operator's recent writes" : "on the API server");
    } else {
      // lost (deleted, or its namespace is going): the planner makes the next generation
      LOG.debug("{}/{}: CA generation {} named by the array's status does not exist", namespace, array, generation);
    }
    return found;
  }

  /** The cert-manager CertificateRequests this array signed (none where cert-manager is not installed). */
  private static List<io.arraypki.operator.k8s.certmanager.CertificateRequest> clientRequests(
      Context<ClusterArray> context, String namespace, String name) {
    var type = io.arraypki.operator.k8s.certmanager.CertificateRequest.class;
    if (context.eventSourceRetriever().getEventSourcesFor(type).isEmpty()) {
      return List.of();
    }
    return EventSources.ofArray(context, type, EventSources.CERTIFICATE_REQUESTS, namespace, name)
        .filter(r -> r.signed() && EventSources.annotation(r, CertificateRequestSigner.CA_GENERATION) != null)
        .toList();
  }

  /** This observation with the CertificateRequests the array signed. */
  ArrayObservation withClientRequests(List<io.arraypki.operator.k8s.certmanager.CertificateRequest> requests) {
    return new ArrayObservation(array, settings, facts, primary, before, generations, created, trust,
        keptLedger, ledger, issuer, candidateMap, alias, candidates, entitled, suggested, confirmed, keystores,
        List.copyOf(requests));
  }

  /**
   * The observation from what was read; {@code liveNode} reads a Node from the API server (only
   * for Nodes whose material the cache suggests revoking, and only when {@code nodesSynced}).
   */
  static ArrayObservation of(ClusterArray array, ArrayFacts facts, Optional<ConfigMap> trust,
      Optional<Secret> keptLedger, Optional<ExternalIssuer.Check> issuer, Optional<CandidateMap> candidateMap,
      Optional<Secret> alias, boolean nodesSynced, Function<String, Optional<ArrayNode>> liveNode,
      KeystorePasswords keystores, Instant now) {
    ArraySettings settings = ArraySettings.of(array.getSpec());
    ClusterArrayStatus before = Optional.ofNullable(array.getStatus()).orElseGet(ClusterArrayStatus::new);
    RevocationLedger.Reading ledger = RevocationLedger.read(TrustConfigMaps.ledger(trust),
        Revocations.kept(keptLedger), before.ca != null, now);
    List<String> candidates = ArrayPlanner.candidates(array, settings, facts);
    List<String> entitled = ArrayPlanner.entitled(array, candidates);
    List<Entitlement.Suggested<Secret>> suggested = ArrayPlanner.suggestedRevocations(facts, entitled, settings);
    return new ArrayObservation(array, settings, facts, primaryCheck(array, before, facts, liveNode),
        before, new TreeMap<>(facts.generations()), List.of(), trust, keptLedger, ledger, issuer, candidateMap, alias,
        candidates, entitled, suggested, confirm(suggested, nodesSynced, liveNode, facts, entitled), keystores,
        List.of());
  }

  /**
   * Whether the named primary can act as the CA. A new primary makes a new CA, so when the cache
   * says it can, the API server is asked: a user who marks a Node not master-capable (or offline)
   * and then names it primary must not get a CA made from a cache that has not shown the first
   * write yet.
   */
  private static PrimaryCheck primaryCheck(ClusterArray array, ClusterArrayStatus before, ArrayFacts facts,
      Function<String, Optional<ArrayNode>> liveNode) {
    String primary = array.getSpec().primary;
    PrimaryCheck cached = PrimaryCheck.of(primary, facts.members());
    if (!cached.ok() || before.primary == null || before.primary.equals(primary)) {
      return cached;
    }
    List<ArrayNode> live = liveNode.apply(primary)
        .filter(n -> n.getSpec() != null && array.getMetadata().getName().equals(n.getSpec().array))
        .map(List::of).orElse(List.of());
    return PrimaryCheck.of(primary, live);
  }

  /** This observation with a CA generation just created (create-only: the one that won). */
  ArrayObservation withGeneration(long generation, Secret secret) {
    Map<Long, Secret> more = new TreeMap<>(generations);
    more.put(generation, secret);
    List<Long> createdNow = new ArrayList<>(created);
    createdNow.add(generation);
    return new ArrayObservation(array, settings, facts, primary, before, more, List.copyOf(createdNow), trust,
        keptLedger, ledger, issuer, candidateMap, alias, candidates, entitled, suggested, confirmed, keystores,
        clientRequests);
  }

  String name() {
    return array.getMetadata().getName();
  }

  String namespace() {
    return array.getMetadata().getNamespace();
  }

  Long generation() {
    return array.getMetadata().getGeneration();
  }

  /** Whether anything can be issued: a valid brought CA, or else a usable primary. */
  boolean canIssue() {
    return issuer.map(ExternalIssuer.Check::valid).orElse(primary.ok());
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
        SecretData.text(secret, "tls.crt").orElse(null),
        SecretData.text(secret, "tls.key").orElse(null),
        SecretData.text(secret, "ca.crt").orElse(null),
        now, settings.peer().duration()));
  }

  /**
   * Revocation cannot be undone: what the cache suggests is confirmed by a live read of each
   * Node, and nothing is revoked while the Node informer has not synced or a live read shows
   * the cache behind.
   */
  private static Entitlement.Confirmed<Secret> confirm(List<Entitlement.Suggested<Secret>> suggested,
      boolean nodesSynced, Function<String, Optional<ArrayNode>> liveNode, ArrayFacts facts, List<String> entitled) {
    if (suggested.isEmpty()) {
      return new Entitlement.Confirmed<>(List.of(), false);
    }
    if (!nodesSynced) {
      return new Entitlement.Confirmed<>(List.of(), true);
    }
    Map<String, Optional<ArrayNode>> live = new LinkedHashMap<>();
    for (var s : suggested) {
      live.computeIfAbsent(s.holding().node(), liveNode);
    }
    return Entitlement.confirm(suggested, live, facts.membersByName(), entitled);
  }
}
