package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.CandidateMap;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArrayStatus;
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
import java.util.Optional;
import java.util.TreeMap;

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
    KeystorePasswords keystores) {

  static ArrayObservation read(ClusterArray array, Context<ClusterArray> context, Instant now) {
    String name = array.getMetadata().getName();
    String namespace = array.getMetadata().getNamespace();
    ArraySettings settings = ArraySettings.of(array.getSpec());
    ArrayFacts facts = ArrayFacts.read(array, context);
    ClusterArrayStatus before = Optional.ofNullable(array.getStatus()).orElseGet(ClusterArrayStatus::new);
    Optional<ConfigMap> trust = EventSources.get(context, ConfigMap.class, EventSources.CONFIG_MAPS, namespace,
        Names.trustConfigMap(name));
    Optional<Secret> keptLedger = EventSources.get(context, Secret.class, EventSources.SECRETS, namespace,
        Names.revocationLedgerSecret(name));
    RevocationLedger.Reading ledger = RevocationLedger.read(TrustConfigMaps.ledger(trust),
        Revocations.kept(keptLedger), before.ca != null, now);
    List<String> candidates = ArrayPlanner.candidates(array, settings, facts);
    List<String> entitled = ArrayPlanner.entitled(array, candidates);
    List<Entitlement.Suggested<Secret>> suggested = ArrayPlanner.suggestedRevocations(facts, entitled, settings);
    return new ArrayObservation(array, settings, facts,
        PrimaryCheck.of(array.getSpec().primary, facts.members()), before,
        new TreeMap<>(facts.generations()), List.of(), trust, keptLedger, ledger,
        readIssuer(array, context, settings, now),
        EventSources.get(context, CandidateMap.class, EventSources.CANDIDATE_MAPS, namespace, name),
        EventSources.get(context, Secret.class, EventSources.SECRETS, namespace, Names.caSecret(name)),
        candidates, entitled, suggested,
        confirmAgainstTheApiServer(array, context, suggested, facts, entitled),
        KeystorePasswords.read(context.getClient(), namespace, array.getSpec().keystores));
  }

  /** This observation with a CA generation just created (create-only: the one that won). */
  ArrayObservation withGeneration(long generation, Secret secret) {
    Map<Long, Secret> more = new TreeMap<>(generations);
    more.put(generation, secret);
    List<Long> createdNow = new ArrayList<>(created);
    createdNow.add(generation);
    return new ArrayObservation(array, settings, facts, primary, before, more, List.copyOf(createdNow), trust,
        keptLedger, ledger, issuer, candidateMap, alias, candidates, entitled, suggested, confirmed, keystores);
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
}
