package io.arraypki.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ArrayNodeSpec;
import io.arraypki.operator.api.CandidateMap;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArraySpec;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.k8s.CaSecrets;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.LeafSecrets;
import io.arraypki.operator.k8s.Names;
import io.arraypki.operator.k8s.Revocations;
import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.k8s.TrustConfigMaps;
import io.arraypki.operator.pki.CaSubject;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.CertificateIssuer;
import io.arraypki.operator.pki.ExternalIssuer;
import io.arraypki.operator.pki.KeyPairs;
import io.arraypki.operator.pki.KeySpec;
import io.arraypki.operator.pki.LeafRequest;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.pki.Revocation;
import io.arraypki.operator.pki.Usage;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The array planner against rows of DESIGN.md sections 3, 4 and 6, with fixed instants and
 * objects as the caches would hold them (no cluster, no mocks).
 */
class ArrayPlannerTest {
  static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  static final String ARRAY = "sgd";
  static final Function<String, Optional<ArrayNode>> GONE = n -> Optional.empty();

  @Test
  void aNewArrayWithAValidPrimaryCreatesCaGeneration1AndPublishesIt() {
    ClusterArray array = array("a", null);
    ArrayObservation seen = observe(array, facts(List.of(node("a")), Map.of(), List.of()), Optional.empty(),
        Optional.empty(), GONE, NOW);

    assertThat(ArrayPlanner.firstGeneration(seen)).contains(new ArrayPlanner.NewCa(1, "a", null));

    seen = seen.withGeneration(1, generation(array, 1, ca(1, NOW.plus(Duration.ofDays(3650))), Map.of()));
    ArrayPlan plan = ArrayPlanner.plan(seen, ArrayPlanner.rotation(seen, NOW), NOW);
    assertThat(plan.status().ca.generation).isEqualTo(1L);
    assertThat(plan.status().primary).isEqualTo("a");
    assertThat(plan.announcements()).anyMatch(a -> a instanceof ArrayAnnouncement.CaGenerated g && g.generation() == 1);
    assertThat(plan.keptLedger()).isPresent();
    assertThat(plan.trust()).isPresent();
    assertThat(plan.alias()).isPresent();
    assertThat(condition(plan.status(), ClusterArrayReconciler.DEGRADED).getStatus()).isEqualTo(Conditions.FALSE);
    assertThat(plan.statusChanged()).isTrue();
  }

  /**
   * An array whose status names CA generation 1, as this operator wrote it (cached as written),
   * with a cache that has not shown the generation's Secret yet (it comes by watch).
   */
  private record NamedButNotCached(ClusterArray array, Secret gen1, ArrayFacts cached) {
    static NamedButNotCached onGenerationOne() {
      ClusterArray array = ArrayPlannerTest.array("a", null);
      Secret gen1 = generation(array, 1, ca(1, NOW.plus(Duration.ofDays(3650))), Map.of());
      array.setStatus(settledStatus(array, gen1));
      return new NamedButNotCached(array, gen1, facts(List.of(node("a")), Map.of(), List.of()));
    }
  }

  @Test
  void aGenerationTheStatusNamesButTheCacheHasNotShownYetIsReadAndNoSecondCaIsMade() {
    NamedButNotCached given = NamedButNotCached.onGenerationOne();
    ClusterArray array = given.array();
    Secret gen1 = given.gen1();
    ArrayFacts cached = given.cached();
    ArrayObservation fromTheCacheAlone = observe(array, cached, Optional.empty(), Optional.empty(), GONE, NOW);
    assertThat(ArrayPlanner.firstGeneration(fromTheCacheAlone)).as("what the cache alone would make")
        .contains(new ArrayPlanner.NewCa(2, "a", null));

    Map<Long, Secret> read = ArrayObservation.namedButNotCached(ARRAY, array.getStatus(), cached.generations(),
        g -> g == 1 ? Optional.of(gen1) : Optional.empty());
    ArrayObservation seen = observe(array, cached.withGenerations(read), Optional.empty(), Optional.empty(), GONE, NOW);

    assertThat(read).containsOnlyKeys(1L);
    assertThat(ArrayPlanner.firstGeneration(seen)).isEmpty();
    ArrayPlanner.Rotation rotation = ArrayPlanner.rotation(seen, NOW);
    assertThat(rotation.create()).isEmpty();
    ArrayPlan plan = ArrayPlanner.plan(seen, rotation, NOW);
    assertThat(plan.status().ca.generation).isEqualTo(1L);
    assertThat(plan.announcements()).noneMatch(a -> a instanceof ArrayAnnouncement.CaGenerated);
  }

  @Test
  void aGenerationTheApiServerDoesNotHaveEitherIsLostAndTheNextNumberIsMade() {
    NamedButNotCached given = NamedButNotCached.onGenerationOne();
    ClusterArray array = given.array();
    ArrayFacts cached = given.cached();

    Map<Long, Secret> read = ArrayObservation.namedButNotCached(ARRAY, array.getStatus(), cached.generations(),
        g -> Optional.empty());
    ArrayObservation seen = observe(array, cached.withGenerations(read), Optional.empty(), Optional.empty(), GONE, NOW);

    assertThat(read).isEmpty();
    assertThat(ArrayPlanner.firstGeneration(seen)).contains(new ArrayPlanner.NewCa(2, "a", null));
  }

  @Test
  void onlyTheNamedGenerationOfThisArraysCaIsTakenFromTheRead() {
    ClusterArray array = array("a", null);
    Secret gen1 = generation(array, 1, ca(1, NOW.plus(Duration.ofDays(3650))), Map.of());
    Secret gen2 = generation(array, 2, ca(2, NOW.plus(Duration.ofDays(3650))), Map.of());
    ClusterArrayStatus status = settledStatus(array, gen1);
    status.rotation = new io.arraypki.operator.api.RotationStatus();
    status.rotation.toGeneration = 2L;
    Secret otherArrays = generation(array, 2, ca(2, NOW.plus(Duration.ofDays(3650))), Map.of());
    otherArrays.getMetadata().getLabels().put(Labels.ARRAY, "another");
    Secret notACa = generation(array, 2, ca(2, NOW.plus(Duration.ofDays(3650))), Map.of());
    notACa.getMetadata().getLabels().put(Labels.COMPONENT, Labels.COMPONENT_PEER);

    List<Long> asked = new java.util.ArrayList<>();
    Map<Long, Secret> cachedOne = ArrayObservation.namedButNotCached(ARRAY, status, Map.of(1L, gen1),
        g -> { asked.add(g); return Optional.of(gen2); });
    assertThat(asked).as("only what the cache lacks is read").containsExactly(2L);
    assertThat(cachedOne).containsOnlyKeys(2L);
    assertThat(ArrayObservation.namedButNotCached(ARRAY, status, Map.of(), g -> Optional.of(gen2)))
        .as("a Secret of another generation is not taken for generation 1").containsOnlyKeys(2L);
    assertThat(ArrayObservation.namedButNotCached(ARRAY, status, Map.of(1L, gen1), g -> Optional.of(otherArrays)))
        .isEmpty();
    assertThat(ArrayObservation.namedButNotCached(ARRAY, status, Map.of(1L, gen1), g -> Optional.of(notACa)))
        .isEmpty();
  }

  @Test
  void aPrimaryThatIsNotAMemberIssuesNothingAndDegradesTheArray() {
    ClusterArray array = array("z", null);
    ArrayObservation seen = observe(array, facts(List.of(node("a")), Map.of(), List.of()), Optional.empty(),
        Optional.empty(), GONE, NOW);

    assertThat(ArrayPlanner.firstGeneration(seen)).isEmpty();
    ArrayPlan plan = ArrayPlanner.plan(seen, ArrayPlanner.rotation(seen, NOW), NOW);
    assertThat(plan.keptLedger()).isEmpty();
    assertThat(plan.trust()).isEmpty();
    assertThat(plan.alias()).isEmpty();
    assertThat(plan.serviceCertificate()).isEmpty();
    assertThat(plan.deletions()).isEmpty();
    assertThat(plan.status().ca).isNull();
    var degraded = condition(plan.status(), ClusterArrayReconciler.DEGRADED);
    assertThat(degraded.getStatus()).isEqualTo(Conditions.TRUE);
    assertThat(degraded.getReason()).isEqualTo("PrimaryNotMember");
    assertThat(condition(plan.status(), ClusterArrayReconciler.READY).getReason()).isEqualTo("NoCA");
    assertThat(plan.announcements()).anyMatch(a -> a instanceof ArrayAnnouncement.PrimaryUnusable p
        && p.reason().equals("PrimaryNotMember"));
  }

  @Test
  void aRemovedMembersSecretIsOnTheCrlOfBothLedgerCopiesBeforeItsDeletionIsPlanned() {
    CertificateAuthority ca = ca(1, NOW.plus(Duration.ofDays(3650)));
    ClusterArray array = array("a", null);
    Secret gen1 = generation(array, 1, ca, Map.of());
    Secret removed = peer(array, "b", ca, 1);
    array.setStatus(settledStatus(array, gen1));
    ArrayObservation seen = observe(array, facts(List.of(node("a")), Map.of(1L, gen1), List.of(removed)),
        Optional.empty(), Optional.empty(), GONE, NOW);

    ArrayPlan plan = ArrayPlanner.plan(seen, ArrayPlanner.rotation(seen, NOW), NOW);

    BigInteger serial = LeafSecrets.leaf(removed).orElseThrow().getSerialNumber();
    assertThat(plan.deletions()).contains(removed);
    assertThat(serials(Revocations.entries(TrustConfigMaps.ledger(Optional.of(plan.trust().orElseThrow().desired())))))
        .contains(serial);
    assertThat(serials(Revocations.entries(Revocations.kept(Optional.of(plan.keptLedger().orElseThrow().desired())))))
        .contains(serial);
    assertThat(plan.announcements()).anyMatch(a -> a instanceof ArrayAnnouncement.MaterialRevoked r
        && r.node().equals("b"));
    assertThat(plan.announcements()).contains(new ArrayAnnouncement.Revoked(1));
  }

  /**
   * A Node deleted while it carried an earlier version's finalizer: the finalizer comes off in
   * the plan that revokes and deletes its last Secret, never while one is left (the failing-closed
   * ledger revokes nothing, so nothing is released then either).
   */
  @Test
  void aDepartingNodesEarlierFinalizerIsReleasedOnlyWithItsLastSecretsDeletion() {
    CertificateAuthority ca = ca(1, NOW.plus(Duration.ofDays(3650)));
    ClusterArray array = array("a", null);
    Secret gen1 = generation(array, 1, ca, Map.of());
    Secret held = peer(array, "b", ca, 1);
    array.setStatus(settledStatus(array, gen1));
    ArrayNode departing = node("b");
    departing.getMetadata().setDeletionTimestamp(NOW.minusSeconds(5).toString());
    departing.getMetadata().setFinalizers(List.of(io.arraypki.operator.k8s.LegacyFinalizers.NODE));
    ArrayFacts plain = facts(List.of(node("a")), Map.of(1L, gen1), List.of(held));
    ArrayFacts facts = new ArrayFacts(plain.members(), plain.membersByName(), plain.generations(), plain.issued(),
        plain.participants(), plain.service(), plain.alias(), plain.confirmations(), List.of(departing));
    ArrayObservation seen = observe(array, facts, Optional.empty(), Optional.empty(), name -> Optional.of(departing),
        NOW);

    ArrayPlan plan = ArrayPlanner.plan(seen, ArrayPlanner.rotation(seen, NOW), NOW);

    assertThat(plan.deletions()).contains(held);
    assertThat(plan.releasedFinalizers()).containsExactly(departing);
    assertThat(ArrayPlanner.releasedFinalizers(facts, List.of())).as("with its Secret still there").isEmpty();
  }

  @Test
  void aNodeTheCacheMissesButTheApiServerStillHasIsNotRevoked() {
    CertificateAuthority ca = ca(1, NOW.plus(Duration.ofDays(3650)));
    ClusterArray array = array("a", null);
    Secret gen1 = generation(array, 1, ca, Map.of());
    Secret held = peer(array, "b", ca, 1);
    array.setStatus(settledStatus(array, gen1));
    ArrayNode b = node("b");
    ArrayObservation seen = observe(array, facts(List.of(node("a")), Map.of(1L, gen1), List.of(held)),
        Optional.empty(), Optional.empty(), n -> n.equals("b") ? Optional.of(b) : Optional.empty(), NOW);

    ArrayPlan plan = ArrayPlanner.plan(seen, ArrayPlanner.rotation(seen, NOW), NOW);

    assertThat(plan.deletions()).doesNotContain(held);
    assertThat(plan.announcements()).noneMatch(a -> a instanceof ArrayAnnouncement.MaterialRevoked);
    assertThat(plan.wakeAt()).contains(NOW.plusSeconds(1));
  }

  @Test
  void aCorruptLedgerRevokesRemovesAndPublishesNothingAndDegradesTheArray() {
    CertificateAuthority ca = ca(1, NOW.plus(Duration.ofDays(3650)));
    ClusterArray array = array("a", null);
    Secret gen1 = generation(array, 1, ca, Map.of());
    Secret removed = peer(array, "b", ca, 1);
    array.setStatus(settledStatus(array, gen1));
    ConfigMap corruptTrust = new ConfigMapBuilder()
        .withMetadata(new ObjectMetaBuilder().withName(Names.trustConfigMap(ARRAY)).withNamespace("ns").build())
        .withData(Map.of(TrustConfigMaps.REVOCATIONS_JSON, "{not json")).build();
    Secret corruptKept = new SecretBuilder()
        .withMetadata(new ObjectMetaBuilder().withName(Names.revocationLedgerSecret(ARRAY)).withNamespace("ns").build())
        .withData(Map.of(Revocations.LEDGER_KEY, SecretData.encode("[{\"serial\": oops"))).build();
    ArrayObservation seen = observe(array, facts(List.of(node("a")), Map.of(1L, gen1), List.of(removed)),
        Optional.of(corruptTrust), Optional.of(corruptKept), GONE, NOW);

    ArrayPlan plan = ArrayPlanner.plan(seen, ArrayPlanner.rotation(seen, NOW), NOW);

    assertThat(plan.keptLedger()).isEmpty();
    assertThat(plan.trust()).isEmpty();
    assertThat(plan.deletions()).isEmpty();
    assertThat(plan.announcements()).noneMatch(a -> a instanceof ArrayAnnouncement.MaterialRevoked
        || a instanceof ArrayAnnouncement.Revoked);
    var degraded = condition(plan.status(), ClusterArrayReconciler.DEGRADED);
    assertThat(degraded.getStatus()).isEqualTo(Conditions.TRUE);
    assertThat(degraded.getReason()).isEqualTo(ClusterArrayReconciler.LEDGER_CORRUPT);
    assertThat(plan.announcements()).anyMatch(a -> a instanceof ArrayAnnouncement.LedgerCorrupt);
  }

  @Test
  void anUnchangedObservationPlansNoWritesAndKeepsTheStatusAndItsTransitionTimes() {
    CertificateAuthority ca = ca(1, NOW.plus(Duration.ofDays(3650)));
    ClusterArray array = array("a", null);
    Secret gen1 = generation(array, 1, ca, Map.of());
    ArrayFacts facts = facts(List.of(node("a"), node("b")), Map.of(1L, gen1), List.of());
    Round round = new Round(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    ArrayPlan plan = null;
    // the first rounds create what a new array publishes; then nothing changes
    for (int i = 0; i < 3; i++) {
      plan = round.plan(array, facts, NOW.plus(Duration.ofMinutes(i)));
      round = round.after(plan);
      array.setStatus(plan.status());
    }
    ClusterArrayStatus settled = plan.status();

    ArrayPlan later = round.plan(array, facts, NOW.plus(Duration.ofHours(1)));

    assertThat(later.writesNothing()).isTrue();
    assertThat(later.announcements()).noneMatch(a -> a instanceof ArrayAnnouncement.VerifyFailed);
    assertThat(later.status().conditions).isEqualTo(settled.conditions);
    assertThat(StatusPatches.changed(settled, later.status())).isFalse();
  }

  @Test
  void aBroughtCaInsideItsRenewBeforeWakesTheArrayForItsIssuerRecheckNotEverySecond() {
    // a brought CA already inside its renewBefore window: its renewal time is past, but the
    // operator never renews a brought CA by time, so that time wakes nothing (it once woke the
    // array every second)
    CertificateAuthority brought = ca(1, NOW.minus(Duration.ofDays(3650)), NOW.plus(Duration.ofDays(1)));
    ExternalIssuer.Check issuer = new ExternalIssuer.Check(brought, "hash-1", null, null);
    ClusterArray array = array("a", "issuer");
    Secret gen1 = generation(array, 1, brought, Map.of(CaSource.ISSUER_HASH, "hash-1"));
    array.setStatus(settledStatus(array, gen1));
    ArrayObservation seen = ArrayObservation.of(array, facts(List.of(node("a")), Map.of(1L, gen1), List.of()),
        Optional.empty(), Optional.empty(), Optional.of(issuer), Optional.empty(), Optional.empty(), true, GONE,
        KeystorePasswords.NONE, NOW);

    ArrayPlan plan = ArrayPlanner.plan(seen, ArrayPlanner.rotation(seen, NOW), NOW);

    assertThat(plan.wakeAt()).contains(NOW.plus(ArrayPlanner.ISSUER_RECHECK));
    assertThat(WakeUp.after(NOW, plan.wakeAt().orElseThrow())).isNotEqualTo(WakeUp.SOON);
  }

  /** What the caches hold after a plan was applied (its writes as the new current objects). */
  record Round(Optional<ConfigMap> trust, Optional<Secret> kept, Optional<CandidateMap> map, Optional<Secret> alias) {
    ArrayPlan plan(ClusterArray array, ArrayFacts facts, Instant now) {
      ArrayObservation seen = ArrayObservation.of(array, facts, trust, kept, Optional.empty(), map, alias, true, GONE,
          KeystorePasswords.NONE, now);
      return ArrayPlanner.plan(seen, ArrayPlanner.rotation(seen, now), now);
    }

    Round after(ArrayPlan plan) {
      Optional<CandidateMap> written = plan.candidateMap().map(m -> {
        CandidateMap map = m.desired();
        ArrayPlanner.mapStatus(map, m.problems(), NOW).ifPresent(map::setStatus);
        return map;
      });
      return new Round(plan.trust().map(ArrayPlan.Write::desired).or(() -> trust),
          plan.keptLedger().map(ArrayPlan.Write::desired).or(() -> kept), written.or(() -> map),
          plan.alias().map(ArrayPlan.Write::desired).or(() -> alias));
    }
  }

  private static ArrayObservation observe(ClusterArray array, ArrayFacts facts, Optional<ConfigMap> trust,
      Optional<Secret> kept, Function<String, Optional<ArrayNode>> live, Instant now) {
    return ArrayObservation.of(array, facts, trust, kept, Optional.empty(), Optional.empty(), Optional.empty(), true,
        live, KeystorePasswords.NONE, now);
  }

  /** The status of an array whose generation 1 is active and trusted. */
  private static ClusterArrayStatus settledStatus(ClusterArray array, Secret gen1) {
    ClusterArrayStatus status = new ClusterArrayStatus();
    status.ca = ArrayPlanner.caStatus(ARRAY, 1, CaSecrets.read(gen1).certificate());
    status.primary = "a";
    return status;
  }

  private static ClusterArray array(String primary, String issuerSecret) {
    ClusterArray array = new ClusterArray();
    array.setMetadata(new ObjectMetaBuilder().withName(ARRAY).withNamespace("ns").withUid("uid-sgd")
        .withGeneration(1L).build());
    ClusterArraySpec spec = new ClusterArraySpec();
    spec.primary = primary;
    if (issuerSecret != null) {
      spec.ca = new io.arraypki.operator.api.CaSpec();
      spec.ca.issuerRef = new io.arraypki.operator.api.IssuerRef();
      spec.ca.issuerRef.secretName = issuerSecret;
    }
    array.setSpec(spec);
    return array;
  }

  private static ArrayNode node(String name) {
    ArrayNode node = new ArrayNode();
    node.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("ns").withUid("uid-" + name).build());
    ArrayNodeSpec spec = new ArrayNodeSpec();
    spec.array = ARRAY;
    spec.masterCapable = true;
    node.setSpec(spec);
    return node;
  }

  private static ArrayFacts facts(List<ArrayNode> members, Map<Long, Secret> generations, List<Secret> issued) {
    Map<String, ArrayNode> byName = members.stream().collect(Collectors.toMap(m -> m.getMetadata().getName(), m -> m));
    List<Secret> participants = issued.stream()
        .filter(s -> Labels.COMPONENT_PEER.equals(EventSources.label(s, Labels.COMPONENT))
            && byName.containsKey(EventSources.label(s, Labels.NODE)))
        .toList();
    return new ArrayFacts(members, byName, new java.util.TreeMap<>(generations), issued, participants,
        Optional.empty(), Optional.empty(), Map.of());
  }

  private static CertificateAuthority ca(long generation, Instant notAfter) {
    return ca(generation, NOW.minus(Duration.ofDays(1)), notAfter);
  }

  private static CertificateAuthority ca(long generation, Instant notBefore, Instant notAfter) {
    KeyPair keys = KeyPairs.generate(KeySpec.ECDSA_P256);
    X509Certificate cert = CertificateIssuer.selfSignedCa(CaSubject.of(ARRAY + " g" + generation), keys,
        notBefore, notAfter);
    return CertificateAuthority.selfSigned(cert, keys.getPrivate());
  }

  private static Secret generation(ClusterArray array, long generation, CertificateAuthority ca,
      Map<String, String> more) {
    Map<String, String> annotations = new java.util.LinkedHashMap<>(more);
    annotations.put(Labels.CA_PRIMARY, "a");
    return CaSecrets.secret(Names.caGenerationSecret(ARRAY, generation), array, ARRAY, generation, ca, annotations);
  }

  private static Secret peer(ClusterArray array, String node, CertificateAuthority ca, long generation) {
    KeyPair keys = KeyPairs.generate(KeySpec.ECDSA_P256);
    X509Certificate cert = CertificateIssuer.signLeaf(ca, new LeafRequest(node, List.of(node), List.of(), List.of(),
        Set.of(Usage.SERVER_AUTH), keys.getPublic(), NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(90))));
    return LeafSecrets.secret(
        new LeafSecrets.Placement(ARRAY + "-" + node + "-peer", array, ARRAY, node, Labels.COMPONENT_PEER, Map.of(),
            Map.of()),
        new LeafSecrets.Content(Pem.encode(cert), Pem.encodePrivateKey(keys.getPrivate()), Pem.encode(ca.root()),
            Map.of()),
        Map.of(Labels.SIGNED_BY_GENERATION, Long.toString(generation)));
  }

  private static io.fabric8.kubernetes.api.model.Condition condition(ClusterArrayStatus status, String type) {
    return Conditions.find(status.conditions, type).orElseThrow();
  }

  private static List<BigInteger> serials(List<Revocation> revocations) {
    return new ArrayList<>(revocations.stream().map(Revocation::serial).toList());
  }
}
