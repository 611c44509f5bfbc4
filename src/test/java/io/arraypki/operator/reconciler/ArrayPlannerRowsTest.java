package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.RotationReason;

import io.arraypki.operator.api.RotationPhase;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ArrayNodeSpec;
import io.arraypki.operator.api.CandidateEntry;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArraySpec;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.api.VerifyProblem;
import io.arraypki.operator.api.VerifyProblemKind;
import io.arraypki.operator.k8s.CaSecrets;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.LeafSecrets;
import io.arraypki.operator.k8s.TrustLeases;
import io.arraypki.operator.k8s.Names;
import io.arraypki.operator.k8s.Revocations;
import io.arraypki.operator.k8s.SshSecrets;
import io.arraypki.operator.k8s.TrustConfigMaps;
import io.arraypki.operator.pki.CaSubject;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.CertificateIssuer;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.KeyPairs;
import io.arraypki.operator.pki.KeySpec;
import io.arraypki.operator.pki.LeafRequest;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.pki.Revocation;
import io.arraypki.operator.pki.SshKeys;
import io.arraypki.operator.pki.Usage;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * More rows of DESIGN.md sections 3, 4 and 6 the array planner decides, at fixed instants, with
 * real CAs and Secrets as the caches would hold them (no cluster, no mocks).
 */
class ArrayPlannerRowsTest {
  static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  static final String ARRAY = "sgd";

  private final CertificateAuthority ca = ca(1);

  // ---- section 4: demoting, offlining, normal nodes holding privileged material ----

  @Test
  void aMemberThatReportsAClientIdentityServesTheNewCaOnlyOnceItsCurrentClientCertificateIsAmongItsLeaves() {
    ClusterArray array = array("a");
    Secret gen1 = generation(array, 1, ca);
    Secret aPeer = leaf(array, "a", Labels.COMPONENT_PEER);
    Secret aClient = leaf(array, "a", Labels.COMPONENT_CLIENT);
    BigInteger peer = LeafSecrets.leaf(aPeer).orElseThrow().getSerialNumber();
    BigInteger client = LeafSecrets.leaf(aClient).orElseThrow().getSerialNumber();
    BigInteger oldClient = BigInteger.valueOf(42);
    RotationPlanner.Phase retiring = new RotationPlanner.Phase(RotationPhase.Retiring, RotationReason.Requested, 1L,
        NOW, null, null);
    java.util.function.Function<Set<BigInteger>, RotationPlanner.Confirmations> confirming = serials ->
        ArrayPlanner.confirmations(facts(List.of(node("a")), Map.of(1L, gen1), List.of(aPeer, aClient),
            Map.of("a", new TrustLeases.Confirmation(Set.of(), serials, NOW, "pod-a"))), retiring, Map.of(1L, gen1), 1L);

    assertThat(confirming.apply(Set.of(peer)).notServingActive()).as("peer only: the client Secret is in the same pod")
        .isEmpty();
    assertThat(confirming.apply(Set.of(peer, oldClient)).notServingActive()).as("still the old client certificate")
        .containsExactly("a");
    assertThat(confirming.apply(Set.of(peer, client)).notServingActive()).isEmpty();
    assertThat(confirming.apply(Set.of(oldClient)).notServingActive()).containsExactly("a");
    assertThat(confirming.apply(Set.of(peer)).anySilent()).isFalse();
  }

  @Test
  void demotingACandidateRevokesAndRemovesItsClientSecretInTheArrayPlan() {
    ClusterArray array = array("a");
    noAutoPromote(array);
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of("a"))); // the status already names the new candidates
    ArrayNode b = node("b");
    Secret bPeer = leaf(array, "b", Labels.COMPONENT_PEER);
    Secret bClient = leaf(array, "b", Labels.COMPONENT_CLIENT);
    ArrayFacts facts = facts(List.of(node("a"), b), Map.of(1L, gen1), List.of(bPeer, bClient));

    ArrayPlan plan = plan(array, facts, live(b));

    assertThat(plan.status().candidates).containsExactly("a");
    assertThat(plan.deletions()).contains(bClient).doesNotContain(bPeer);
    BigInteger serial = LeafSecrets.leaf(bClient).orElseThrow().getSerialNumber();
    assertThat(crlSerials(plan)).contains(serial);
    assertThat(keptSerials(plan)).contains(serial);
    assertThat(plan.announcements()).anyMatch(a -> a instanceof ArrayAnnouncement.MaterialRevoked r
        && r.node().equals("b") && r.why().equals(Entitlement.Reason.NotACandidate.text()));
  }

  @Test
  void aNormalNodeHoldingAClientCertificateIsAVerifiedProblemRepairedByDeletion() {
    ClusterArray array = array("a");
    noAutoPromote(array);
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of("a")));
    ArrayNode b = node("b");
    Secret bClient = leaf(array, "b", Labels.COMPONENT_CLIENT);
    ArrayFacts facts = facts(List.of(node("a"), b), Map.of(1L, gen1), List.of(leaf(array, "b", Labels.COMPONENT_PEER),
        bClient));

    ArrayPlan plan = plan(array, facts, live(b));

    var verified = condition(plan.status(), ClusterArrayReconciler.VERIFIED);
    assertThat(verified.getStatus()).isEqualTo(Conditions.FALSE);
    assertThat(verified.getReason()).isEqualTo("ProblemsFound");
    assertThat(plan.candidateMap().orElseThrow().problems()).extracting(p -> p.node, p -> p.problem)
        .contains(org.assertj.core.groups.Tuple.tuple("b", VerifyProblemKind.ClientCertificateOnNormalNode));
    assertThat(plan.announcements()).anyMatch(a -> a instanceof ArrayAnnouncement.VerifyFailed);
    assertThat(plan.deletions()).contains(bClient);
  }

  @Test
  void anOfflineNodesMaterialIsRevokedAndRemovedByTheArray() {
    ClusterArray array = array("a");
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of("a", "b")));
    ArrayNode b = node("b");
    b.getSpec().offline = true;
    Secret bPeer = leaf(array, "b", Labels.COMPONENT_PEER);
    Secret bClient = leaf(array, "b", Labels.COMPONENT_CLIENT);
    ArrayFacts facts = facts(List.of(node("a"), b), Map.of(1L, gen1), List.of(bPeer, bClient));

    ArrayPlan plan = plan(array, facts, live(b));

    assertThat(plan.status().candidates).doesNotContain("b");
    assertThat(plan.deletions()).contains(bPeer, bClient);
    assertThat(crlSerials(plan)).contains(LeafSecrets.leaf(bPeer).orElseThrow().getSerialNumber(),
        LeafSecrets.leaf(bClient).orElseThrow().getSerialNumber());
    assertThat(plan.announcements()).filteredOn(ArrayAnnouncement.MaterialRevoked.class::isInstance)
        .allMatch(a -> ((ArrayAnnouncement.MaterialRevoked) a).why().equals(Entitlement.Reason.NodeOffline.text()))
        .hasSize(2);
  }

  @Test
  void aNodeThatLeftHasItsCertificatesRevokedAndItsClientAndSshSecretsRemoved() {
    ClusterArray array = array("a");
    sshKeys(array);
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of("a")));
    ArrayNode left = node("b");
    left.getSpec().array = "";
    Secret bPeer = leaf(array, "b", Labels.COMPONENT_PEER);
    Secret bClient = leaf(array, "b", Labels.COMPONENT_CLIENT);
    Secret bSsh = ssh(array, "b");
    ArrayFacts facts = facts(List.of(node("a")), Map.of(1L, gen1), List.of(bPeer, bClient, bSsh));

    ArrayPlan plan = plan(array, facts, live(left));

    assertThat(plan.deletions()).contains(bPeer, bClient, bSsh);
    assertThat(crlSerials(plan)).contains(LeafSecrets.leaf(bPeer).orElseThrow().getSerialNumber(),
        LeafSecrets.leaf(bClient).orElseThrow().getSerialNumber());
    assertThat(plan.candidateMap().orElseThrow().desired().getSpec().entries).extracting(e -> e.node)
        .doesNotContain("b");
    assertThat(plan.announcements()).anyMatch(a -> a instanceof ArrayAnnouncement.MaterialRevoked r
        && r.why().equals(Entitlement.Reason.NodeLeft.text()));
  }

  @Test
  void offlineNodesAreNeverCandidatesAndAutoPromoteFillsThePoolInNameOrder() {
    ClusterArray array = array("a");
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of()));
    ArrayNode c = node("c");
    c.getSpec().offline = true;
    ArrayNode e = node("e");
    e.getSpec().masterCapable = false;
    ArrayFacts facts = facts(List.of(node("a"), node("b"), c, node("d"), e), Map.of(1L, gen1), List.of());

    ArrayPlan plan = plan(array, facts, n -> Optional.empty());

    assertThat(plan.status().candidates).containsExactly("a", "b", "d");
  }

  @Test
  void aDemotionNamedInTheStatusFirstIsRevokedOnTheReconcileRightAfterThatStatusIsWritten() {
    ClusterArray array = array("a");
    noAutoPromote(array);
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of("a", "b"))); // b was a candidate; its masterCandidate was just cleared
    ArrayNode b = node("b");
    Secret bClient = leaf(array, "b", Labels.COMPONENT_CLIENT);
    ArrayFacts facts = facts(List.of(node("a"), b), Map.of(1L, gen1), List.of(leaf(array, "b", Labels.COMPONENT_PEER),
        bClient));

    ArrayPlan first = plan(array, facts, live(b));
    assertThat(first.status().candidates).containsExactly("a");
    assertThat(first.deletions()).doesNotContain(bClient);
    assertThat(first.wakeAt()).contains(NOW.plusSeconds(1));

    array.setStatus(first.status());
    ArrayPlan next = plan(array, facts, live(b));
    assertThat(next.deletions()).contains(bClient);
    assertThat(crlSerials(next)).contains(LeafSecrets.leaf(bClient).orElseThrow().getSerialNumber());
  }

  @Test
  void aNormalNodeHoldingAnSshKeyIsAVerifiedProblem() {
    ClusterArray array = array("a");
    sshKeys(array);
    noAutoPromote(array);
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of("a")));
    ArrayNode c = node("c");
    Secret cSsh = ssh(array, "c");
    ArrayPlan plan = plan(array, facts(List.of(node("a"), c), Map.of(1L, gen1), List.of(cSsh)), live(c));

    assertThat(plan.candidateMap().orElseThrow().problems()).extracting(p -> p.node, p -> p.problem)
        .contains(org.assertj.core.groups.Tuple.tuple("c", VerifyProblemKind.ClientCertificateOnNormalNode));
    assertThat(condition(plan.status(), ClusterArrayReconciler.VERIFIED).getStatus()).isEqualTo(Conditions.FALSE);
    assertThat(plan.deletions()).contains(cSsh);
  }

  // ---- section 4: the candidate map, candidate-map.json, sshKeys ----

  @Test
  void theCandidateMapListsEachCandidatesClientDigestAndCandidateMapJsonMirrorsIt() {
    ClusterArray array = array("a");
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of("a", "b")));
    Secret aClient = leaf(array, "a", Labels.COMPONENT_CLIENT);
    Secret bClient = leaf(array, "b", Labels.COMPONENT_CLIENT);
    ArrayFacts facts = facts(List.of(node("a"), node("b"), node("c")), Map.of(1L, gen1), List.of(
        leaf(array, "a", Labels.COMPONENT_PEER), aClient, leaf(array, "b", Labels.COMPONENT_PEER), bClient,
        leaf(array, "c", Labels.COMPONENT_PEER)));

    ArrayPlan plan = plan(array, facts, n -> Optional.empty());

    var spec = plan.candidateMap().orElseThrow().desired().getSpec();
    assertThat(spec.entries).extracting(en -> en.node).containsExactly("a", "b");
    assertThat(spec.entries).extracting(en -> en.certificateDigest).containsExactly(
        Fingerprints.digest(LeafSecrets.leaf(aClient).orElseThrow()),
        Fingerprints.digest(LeafSecrets.leaf(bClient).orElseThrow()));
    assertThat(spec.entries.get(0).role).isEqualTo(io.arraypki.operator.api.NodeRole.Primary);
    assertThat(trust(plan).getData().get(TrustConfigMaps.CANDIDATE_MAP_JSON)).isEqualTo(CandidateMaps.json(spec));
  }

  @Test
  void sshKeysAuthorizedKeysListsExactlyTheCurrentCandidatesAndANormalNodesKeyIsRemoved() {
    ClusterArray array = array("a");
    sshKeys(array);
    noAutoPromote(array);
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of("a", "b")));
    ArrayNode b = node("b");
    b.getSpec().masterCandidate = true;
    ArrayNode c = node("c");
    Secret aSsh = ssh(array, "a");
    Secret bSsh = ssh(array, "b");
    Secret cSsh = ssh(array, "c");
    ArrayFacts facts = facts(List.of(node("a"), b, c), Map.of(1L, gen1), List.of(aSsh, bSsh, cSsh));

    ArrayPlan plan = plan(array, facts, live(c));

    String authorized = trust(plan).getData().get(TrustConfigMaps.AUTHORIZED_KEYS);
    assertThat(authorized).contains(publicKey(aSsh).trim(), publicKey(bSsh).trim())
        .doesNotContain(publicKey(cSsh).trim());
    assertThat(authorized.lines().filter(l -> !l.isBlank())).hasSize(2);
    assertThat(plan.deletions()).contains(cSsh).doesNotContain(aSsh, bSsh);
  }

  @Test
  void withoutSshKeysTheTrustConfigMapHasNoAuthorizedKeys() {
    ClusterArray array = array("a");
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of("a")));
    ArrayPlan plan = plan(array, facts(List.of(node("a")), Map.of(1L, gen1), List.of()), n -> Optional.empty());
    assertThat(trust(plan).getData()).doesNotContainKey(TrustConfigMaps.AUTHORIZED_KEYS);
  }

  @Test
  void aDeletedNodeConfirmedByALiveReadHasItsClientAndSshSecretsRemovedAndItsMapEntryDropped() {
    ClusterArray array = array("a");
    sshKeys(array);
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of("a", "b")));
    ArrayNode deleting = node("b");
    deleting.getMetadata().setDeletionTimestamp(Conditions.timestamp(NOW.minusSeconds(5)));
    Secret bPeer = leaf(array, "b", Labels.COMPONENT_PEER);
    Secret bClient = leaf(array, "b", Labels.COMPONENT_CLIENT);
    Secret bSsh = ssh(array, "b");
    // the cache lists no deleting Node as a member (ArrayFacts.read)
    ArrayFacts facts = facts(List.of(node("a")), Map.of(1L, gen1), List.of(bPeer, bClient, bSsh));

    ArrayPlan plan = plan(array, facts, live(deleting));

    assertThat(plan.deletions()).contains(bPeer, bClient, bSsh);
    assertThat(crlSerials(plan)).contains(LeafSecrets.leaf(bClient).orElseThrow().getSerialNumber());
    assertThat(plan.candidateMap().orElseThrow().desired().getSpec().entries).extracting(e -> e.node)
        .doesNotContain("b");
    assertThat(plan.status().candidates).doesNotContain("b");
    assertThat(trust(plan).getData().get(TrustConfigMaps.AUTHORIZED_KEYS)).doesNotContain(publicKey(bSsh).trim());
    assertThat(plan.announcements()).anyMatch(a -> a instanceof ArrayAnnouncement.MaterialRevoked r
        && r.why().equals(Entitlement.Reason.NodeDeleted.text()));
  }

  @Test
  void theArrayIsReadyOnlyOnceEveryOnlineMemberIsReady() {
    ClusterArray array = array("a");
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of("a")));
    ArrayNode a = ready(node("a"));
    ArrayNode b = node("b");
    ArrayNode c = node("c");
    c.getSpec().offline = true;

    ArrayPlan notYet = plan(array, facts(List.of(a, b, c), Map.of(1L, gen1), List.of()), n -> Optional.empty());
    assertThat(condition(notYet.status(), ClusterArrayReconciler.READY).getReason()).isEqualTo("MembersNotReady");
    assertThat(notYet.status().ca.fingerprint).isEqualTo(Fingerprints.fingerprint(ca.certificate()));

    ArrayPlan ready = plan(array, facts(List.of(a, ready(b), c), Map.of(1L, gen1), List.of()), n -> Optional.empty());
    var condition = condition(ready.status(), ClusterArrayReconciler.READY);
    assertThat(condition.getStatus()).isEqualTo(Conditions.TRUE);
    assertThat(condition.getMessage()).contains("2 of 2 online members are ready").contains("1 offline");
  }

  // ---- section 3: primary missing, offline or not master-capable ----

  @Test
  void aNewArrayWhosePrimaryIsOfflineGetsNoCaAndIsDegradedNamingTheFix() {
    ClusterArray array = array("a");
    ArrayNode a = node("a");
    a.getSpec().offline = true;
    ArrayObservation seen = observe(array, facts(List.of(a, node("b")), Map.of(), List.of()), n -> Optional.empty());

    assertThat(ArrayPlanner.firstGeneration(seen)).isEmpty();
    ArrayPlan plan = ArrayPlanner.plan(seen, ArrayPlanner.rotation(seen, NOW), NOW);
    var degraded = condition(plan.status(), ClusterArrayReconciler.DEGRADED);
    assertThat(degraded.getStatus()).isEqualTo(Conditions.TRUE);
    assertThat(degraded.getReason()).isEqualTo("PrimaryOffline");
    assertThat(degraded.getMessage()).contains("set its spec.offline to false");
    assertThat(plan.deletions()).isEmpty();
    assertThat(plan.trust()).isEmpty();
  }

  @Test
  void aPrimaryChangeToANodeThatIsNotMasterCapableMakesNoNewCaRevokesNothingAndDegrades() {
    ClusterArray array = array("c");
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of("a")));
    ArrayNode c = node("c");
    c.getSpec().masterCapable = false;
    List<Secret> held = List.of(leaf(array, "a", Labels.COMPONENT_PEER), leaf(array, "a", Labels.COMPONENT_CLIENT),
        leaf(array, "b", Labels.COMPONENT_PEER), leaf(array, "c", Labels.COMPONENT_PEER));
    ArrayFacts facts = facts(List.of(node("a"), node("b"), c), Map.of(1L, gen1), held);
    ArrayObservation seen = observe(array, facts, n -> Optional.empty());

    ArrayPlanner.Rotation rotation = ArrayPlanner.rotation(seen, NOW);
    assertThat(rotation.create()).isEmpty();
    ArrayPlan plan = ArrayPlanner.plan(seen, rotation, NOW);

    assertThat(plan.deletions()).isEmpty();
    assertThat(plan.announcements()).noneMatch(a -> a instanceof ArrayAnnouncement.MaterialRevoked
        || a instanceof ArrayAnnouncement.Revoked);
    assertThat(crlSerials(plan)).isEmpty();
    assertThat(plan.status().ca.generation).isEqualTo(1L);
    var degraded = condition(plan.status(), ClusterArrayReconciler.DEGRADED);
    assertThat(degraded.getStatus()).isEqualTo(Conditions.TRUE);
    assertThat(degraded.getReason()).isEqualTo("PrimaryNotMasterCapable");
    assertThat(degraded.getMessage()).contains("spec.masterCapable");
  }

  @Test
  void aPrimaryChangeToAnOfflineNodeMakesNoNewCaRevokesNothingOfTheOthersAndDegrades() {
    ClusterArray array = array("b");
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of("a")));
    ArrayNode b = node("b");
    b.getSpec().offline = true;
    List<Secret> held = List.of(leaf(array, "a", Labels.COMPONENT_PEER), leaf(array, "a", Labels.COMPONENT_CLIENT),
        leaf(array, "c", Labels.COMPONENT_PEER));
    ArrayObservation seen = observe(array, facts(List.of(node("a"), b, node("c")), Map.of(1L, gen1), held),
        n -> Optional.empty());

    ArrayPlanner.Rotation rotation = ArrayPlanner.rotation(seen, NOW);
    assertThat(rotation.create()).isEmpty();
    ArrayPlan plan = ArrayPlanner.plan(seen, rotation, NOW);

    assertThat(plan.deletions()).isEmpty();
    assertThat(crlSerials(plan)).isEmpty();
    assertThat(condition(plan.status(), ClusterArrayReconciler.DEGRADED).getReason()).isEqualTo("PrimaryOffline");
  }

  @Test
  void theSigningPrimaryGoingOfflineDegradesTheArrayAndRevokesNothingOfTheOtherMembers() {
    ClusterArray array = array("a");
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of("a", "b")));
    ArrayNode a = node("a");
    a.getSpec().offline = true;
    Secret bPeer = leaf(array, "b", Labels.COMPONENT_PEER);
    Secret bClient = leaf(array, "b", Labels.COMPONENT_CLIENT);
    Secret cPeer = leaf(array, "c", Labels.COMPONENT_PEER);
    ArrayObservation seen = observe(array, facts(List.of(a, node("b"), node("c")), Map.of(1L, gen1),
        List.of(bPeer, bClient, cPeer)), live(a));

    ArrayPlanner.Rotation rotation = ArrayPlanner.rotation(seen, NOW);
    assertThat(rotation.create()).isEmpty();
    ArrayPlan plan = ArrayPlanner.plan(seen, rotation, NOW);

    assertThat(plan.deletions()).doesNotContain(bPeer, bClient, cPeer);
    assertThat(plan.status().ca.generation).isEqualTo(1L);
    assertThat(condition(plan.status(), ClusterArrayReconciler.DEGRADED).getReason()).isEqualTo("PrimaryOffline");
  }

  // ---- section 3: new primary; section 6: rotation in the array plan ----

  @Test
  void aNewPrimaryTheCacheShowsFitButTheApiServerShowsNotMasterCapableMakesNoCa() {
    ClusterArray array = array("b");
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of("a")));
    ArrayNode liveB = node("b");
    liveB.getSpec().masterCapable = false; // written just before spec.primary; the cache has not shown it yet
    ArrayFacts facts = facts(List.of(node("a"), node("b")), Map.of(1L, gen1),
        List.of(leaf(array, "a", Labels.COMPONENT_PEER), leaf(array, "b", Labels.COMPONENT_PEER)));

    ArrayObservation seen = observe(array, facts, live(liveB));
    assertThat(ArrayPlanner.rotation(seen, NOW).create()).isEmpty();
    ArrayPlan plan = ArrayPlanner.plan(seen, ArrayPlanner.rotation(seen, NOW), NOW);
    assertThat(condition(plan.status(), ClusterArrayReconciler.DEGRADED).getReason())
        .isEqualTo("PrimaryNotMasterCapable");
    assertThat(plan.status().ca.generation).isEqualTo(1L);
    // a Node gone from the API server though still cached is no member either
    assertThat(ArrayPlanner.rotation(observe(array, facts, n -> Optional.empty()), NOW).create()).isEmpty();
    // what the live read decides: the same facts, read live as fit, make the new CA
    assertThat(ArrayPlanner.rotation(observe(array, facts, live(node("b"))), NOW).create()).isPresent();
  }

  @Test
  void aNewPrimaryStartsARotationToANewGenerationAndTheArraySaysRotating() {
    ClusterArray array = array("b");
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of("a")));
    ArrayObservation seen = observe(array, facts(List.of(node("a"), node("b")), Map.of(1L, gen1),
        List.of(leaf(array, "a", Labels.COMPONENT_PEER), leaf(array, "b", Labels.COMPONENT_PEER))), live(node("b")));

    ArrayPlanner.Rotation rotation = ArrayPlanner.rotation(seen, NOW);
    assertThat(rotation.create()).contains(new ArrayPlanner.NewCa(2, "b",
        io.arraypki.operator.api.RotationReason.PrimaryChanged));

    CertificateAuthority next = ca(2);
    ArrayObservation created = seen.withGeneration(2, generation(array, 2, next, "b"));
    ArrayPlan plan = ArrayPlanner.plan(created, ArrayPlanner.rotation(created, NOW), NOW);

    assertThat(plan.status().rotation.phase).isEqualTo(io.arraypki.operator.api.RotationPhase.PublishingTrust);
    assertThat(plan.status().rotation.toGeneration).isEqualTo(2L);
    assertThat(plan.status().rotation.resigned).isZero();
    assertThat(plan.status().ca.generation).as("the old CA signs until trust is published").isEqualTo(1L);
    assertThat(plan.status().trustedCAs).extracting(t -> t.generation).containsExactly(1L, 2L);
    assertThat(condition(plan.status(), ClusterArrayReconciler.ROTATING).getStatus()).isEqualTo(Conditions.TRUE);
    String bundle = TrustConfigMaps.bundle(trust(plan));
    assertThat(bundle).contains(Pem.encode(ca.certificate()).trim(), Pem.encode(next.certificate()).trim());
  }

  @Test
  void aCaNearItsEndIsRenewedByARotationWithReasonRenewalForTheSamePrimary() {
    CertificateAuthority old = ca(1, NOW.minus(Duration.ofDays(3000)), NOW.plus(Duration.ofDays(1)));
    ClusterArray array = array("a");
    Secret gen1 = generation(array, 1, old);
    array.setStatus(settled(gen1, List.of("a")));
    ArrayObservation seen = observe(array, facts(List.of(node("a")), Map.of(1L, gen1), List.of()),
        n -> Optional.empty());

    assertThat(ArrayPlanner.rotation(seen, NOW).create()).contains(new ArrayPlanner.NewCa(2, "a",
        io.arraypki.operator.api.RotationReason.Renewal));
  }

  @Test
  void whileResigningStatusRotationResignedCountsTheMembersOnTheNewCa() {
    CertificateAuthority next = ca(2);
    ClusterArray array = array("b");
    Secret gen1 = generation(array, 1, ca);
    Secret gen2 = generation(array, 2, next, "b");
    array.setStatus(rotating(gen2, io.arraypki.operator.api.RotationPhase.Resigning, null));
    List<Secret> held = List.of(leaf(array, "a", Labels.COMPONENT_PEER, ca, 1),
        leaf(array, "b", Labels.COMPONENT_PEER, next, 2), leaf(array, "c", Labels.COMPONENT_PEER, ca, 1));
    ArrayObservation seen = observe(array, facts(List.of(node("a"), node("b"), node("c")),
        Map.of(1L, gen1, 2L, gen2), held), n -> Optional.empty());

    ArrayPlan plan = ArrayPlanner.plan(seen, ArrayPlanner.rotation(seen, NOW), NOW);

    assertThat(plan.status().rotation.phase).isEqualTo(io.arraypki.operator.api.RotationPhase.Resigning);
    assertThat(plan.status().rotation.resigned).isEqualTo(1);
    assertThat(plan.status().rotation.total).isEqualTo(3);
    assertThat(plan.status().ca.generation).isEqualTo(2L);
    assertThat(plan.deletions()).doesNotContain(gen1);
    assertThat(TrustConfigMaps.bundle(trust(plan))).contains(Pem.encode(ca.certificate()).trim());
  }

  @Test
  void retiringAfterTheOverlapDropsTheOldCaFromTheBundleAndDeletesItsPrivateKeySecret() {
    CertificateAuthority next = ca(2);
    ClusterArray array = array("b");
    Secret gen1 = generation(array, 1, ca);
    Secret gen2 = generation(array, 2, next, "b");
    array.setStatus(rotating(gen2, io.arraypki.operator.api.RotationPhase.Retiring, NOW.minusSeconds(1)));
    List<Secret> held = List.of(leaf(array, "a", Labels.COMPONENT_PEER, next, 2),
        leaf(array, "b", Labels.COMPONENT_PEER, next, 2));
    ArrayObservation seen = observe(array, facts(List.of(node("a"), node("b")), Map.of(1L, gen1, 2L, gen2), held),
        n -> Optional.empty());

    ArrayPlan plan = ArrayPlanner.plan(seen, ArrayPlanner.rotation(seen, NOW), NOW);

    assertThat(plan.status().rotation.phase).isEqualTo(io.arraypki.operator.api.RotationPhase.Idle);
    assertThat(plan.status().trustedCAs).extracting(t -> t.generation).containsExactly(2L);
    assertThat(plan.deletions()).contains(gen1).doesNotContain(gen2);
    String bundle = TrustConfigMaps.bundle(trust(plan));
    assertThat(bundle).contains(Pem.encode(next.certificate()).trim())
        .doesNotContain(Pem.encode(ca.certificate()).trim());
  }

  // ---- section 6: a current certificate the array's own CRL lists ----

  @Test
  void aCurrentCertificateTheArraysOwnCrlListsIsAVerifyProblemAndTheArrayIsNotReady() {
    ClusterArray array = array("a");
    Secret gen1 = generation(array, 1, ca);
    array.setStatus(settled(gen1, List.of("a")));
    Secret aPeer = leaf(array, "a", Labels.COMPONENT_PEER);
    X509Certificate cert = LeafSecrets.leaf(aPeer).orElseThrow();
    Revocation listed = new Revocation(cert.getSerialNumber(), 1, NOW.minus(Duration.ofHours(1)),
        cert.getNotAfter().toInstant(), "a", "Removed");
    ClusterArray forTrust = array("a");
    ConfigMap trust = TrustConfigMaps.desired(forTrust, Map.of(1L, ca), List.of(listed), Map.of(), Optional.empty(),
        NOW.minus(Duration.ofHours(1))).configMap();
    Secret kept = Revocations.keptCopy(forTrust, List.of(listed));
    ArrayFacts facts = facts(List.of(node("a")), Map.of(1L, gen1), List.of(aPeer));
    ArrayObservation seen = ArrayObservation.of(array, facts, Optional.of(trust), Optional.of(kept), Optional.empty(),
        Optional.empty(), Optional.empty(), true, n -> Optional.empty(), KeystorePasswords.NONE, NOW);

    ArrayPlan plan = ArrayPlanner.plan(seen, ArrayPlanner.rotation(seen, NOW), NOW);

    assertThat(plan.candidateMap().orElseThrow().problems()).extracting(p -> p.problem)
        .contains(VerifyProblemKind.RevokedCertificateInUse);
    assertThat(condition(plan.status(), ClusterArrayReconciler.READY).getReason()).isEqualTo("RevokedCertificatesInUse");
    assertThat(plan.deletions()).as("repaired by reissue, not by removal").doesNotContain(aPeer);
  }

  // ---- helpers ----

  private static Function<String, Optional<ArrayNode>> live(ArrayNode... nodes) {
    Map<String, ArrayNode> byName = java.util.Arrays.stream(nodes)
        .collect(Collectors.toMap(n -> n.getMetadata().getName(), n -> n));
    return n -> Optional.ofNullable(byName.get(n));
  }

  private static ArrayPlan plan(ClusterArray array, ArrayFacts facts, Function<String, Optional<ArrayNode>> live) {
    ArrayObservation seen = observe(array, facts, live);
    return ArrayPlanner.plan(seen, ArrayPlanner.rotation(seen, NOW), NOW);
  }

  private static ArrayObservation observe(ClusterArray array, ArrayFacts facts,
      Function<String, Optional<ArrayNode>> live) {
    return ArrayObservation.of(array, facts, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.empty(), true, live, KeystorePasswords.NONE, NOW);
  }

  private static ConfigMap trust(ArrayPlan plan) {
    return plan.trust().orElseThrow().desired();
  }

  private static List<BigInteger> crlSerials(ArrayPlan plan) {
    return plan.trust().map(t -> Revocations.entries(TrustConfigMaps.ledger(Optional.of(t.desired()))))
        .orElse(List.of()).stream().map(Revocation::serial).toList();
  }

  private static List<BigInteger> keptSerials(ArrayPlan plan) {
    return Revocations.entries(Revocations.kept(Optional.of(plan.keptLedger().orElseThrow().desired()))).stream()
        .map(Revocation::serial).toList();
  }

  private static ClusterArrayStatus settled(Secret gen1, List<String> candidates) {
    ClusterArrayStatus status = new ClusterArrayStatus();
    status.ca = ArrayPlanner.caStatus(ARRAY, 1, CaSecrets.read(gen1).certificate());
    status.primary = "a";
    status.candidates = candidates;
    return status;
  }

  private static ClusterArray array(String primary) {
    ClusterArray array = new ClusterArray();
    array.setMetadata(new ObjectMetaBuilder().withName(ARRAY).withNamespace("ns").withUid("uid-sgd")
        .withGeneration(1L).build());
    ClusterArraySpec spec = new ClusterArraySpec();
    spec.primary = primary;
    array.setSpec(spec);
    return array;
  }

  private static void noAutoPromote(ClusterArray array) {
    array.getSpec().candidates = new io.arraypki.operator.api.CandidatesSpec();
    array.getSpec().candidates.autoPromote = false;
  }

  private static void sshKeys(ClusterArray array) {
    array.getSpec().sshKeys = new io.arraypki.operator.api.SshKeysSpec();
    array.getSpec().sshKeys.enabled = true;
  }

  private static ArrayNode ready(ArrayNode node) {
    node.setStatus(new io.arraypki.operator.api.ArrayNodeStatus());
    node.getStatus().conditions = Conditions.set(null, ClusterArrayReconciler.READY, true, "Ready", "ready", 1L,
        NOW.minusSeconds(60));
    return node;
  }

  private static ArrayNode node(String name) {
    ArrayNode node = new ArrayNode();
    node.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("ns").withUid("uid-" + name).build());
    ArrayNodeSpec spec = new ArrayNodeSpec();
    spec.array = ARRAY;
    spec.masterCapable = true;
    spec.peerDNSName = name;
    node.setSpec(spec);
    return node;
  }

  private static ArrayFacts facts(List<ArrayNode> members, Map<Long, Secret> generations, List<Secret> issued) {
    return facts(members, generations, issued, Map.of());
  }

  private static ArrayFacts facts(List<ArrayNode> members, Map<Long, Secret> generations, List<Secret> issued,
      Map<String, io.arraypki.operator.k8s.TrustLeases.Confirmation> confirmations) {
    Map<String, ArrayNode> byName = members.stream().collect(Collectors.toMap(m -> m.getMetadata().getName(), m -> m));
    List<Secret> participants = issued.stream()
        .filter(s -> Labels.COMPONENT_PEER.equals(EventSources.label(s, Labels.COMPONENT))
            && byName.containsKey(EventSources.label(s, Labels.NODE))
            && ArrayFacts.entitled(byName.get(EventSources.label(s, Labels.NODE))))
        .toList();
    return new ArrayFacts(members, byName, new java.util.TreeMap<>(generations), issued, participants,
        Optional.empty(), Optional.empty(), confirmations);
  }

  private static CertificateAuthority ca(long generation) {
    return ca(generation, NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(3650)));
  }

  private static CertificateAuthority ca(long generation, Instant notBefore, Instant notAfter) {
    KeyPair keys = KeyPairs.generate(KeySpec.ECDSA_P256);
    X509Certificate cert = CertificateIssuer.selfSignedCa(CaSubject.of(CaSubject.commonNameFor(ARRAY, generation)),
        keys, notBefore, notAfter);
    return CertificateAuthority.selfSigned(cert, keys.getPrivate());
  }

  private static Secret generation(ClusterArray array, long generation, CertificateAuthority ca) {
    return generation(array, generation, ca, "a");
  }

  private static Secret generation(ClusterArray array, long generation, CertificateAuthority ca, String primary) {
    return CaSecrets.secret(Names.caGenerationSecret(ARRAY, generation), array, ARRAY, generation, ca,
        Map.of(Labels.CA_PRIMARY, primary));
  }

  /** Generation 2 of primary "b" signing, generation 1 still trusted, in the given phase. */
  private ClusterArrayStatus rotating(Secret gen2, io.arraypki.operator.api.RotationPhase phase, Instant endsAt) {
    ClusterArrayStatus status = new ClusterArrayStatus();
    status.ca = ArrayPlanner.caStatus(ARRAY, 2, CaSecrets.read(gen2).certificate());
    status.primary = "b";
    status.candidates = List.of("b");
    io.arraypki.operator.api.TrustedCa one = new io.arraypki.operator.api.TrustedCa();
    one.generation = 1L;
    io.arraypki.operator.api.TrustedCa two = new io.arraypki.operator.api.TrustedCa();
    two.generation = 2L;
    status.trustedCAs = List.of(one, two);
    status.rotation = new io.arraypki.operator.api.RotationStatus();
    status.rotation.phase = phase;
    status.rotation.reason = io.arraypki.operator.api.RotationReason.PrimaryChanged;
    status.rotation.toGeneration = 2L;
    status.rotation.startedAt = Conditions.timestamp(NOW.minus(Duration.ofHours(2)));
    status.rotation.phaseEndsAt = endsAt == null ? null : Conditions.timestamp(endsAt);
    return status;
  }

  /** A member's peer or client Secret signed by generation 1 of {@link #ca}. */
  private Secret leaf(ClusterArray array, String node, String component) {
    return leaf(array, node, component, ca, 1);
  }

  private static Secret leaf(ClusterArray array, String node, String component, CertificateAuthority ca,
      long generation) {
    KeyPair keys = KeyPairs.generate(KeySpec.ECDSA_P256);
    boolean client = Labels.COMPONENT_CLIENT.equals(component);
    X509Certificate cert = CertificateIssuer.signLeaf(ca, new LeafRequest(node, client ? List.of() : List.of(node),
        List.of(), List.of(), Set.of(client ? Usage.CLIENT_AUTH : Usage.SERVER_AUTH), keys.getPublic(),
        NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(90))));
    String name = client ? Names.clientSecret(node) : Names.peerSecret(node);
    return LeafSecrets.secret(
        new LeafSecrets.Placement(name, array, ARRAY, node, component, Map.of(), Map.of()),
        new LeafSecrets.Content(Pem.encode(cert), Pem.encodePrivateKey(keys.getPrivate()), Pem.encode(ca.root()),
            Map.of()),
        Map.of(Labels.SIGNED_BY_GENERATION, Long.toString(generation)));
  }

  private static Secret ssh(ClusterArray array, String node) {
    return SshSecrets.secret(array, node(node), SshKeys.generate(node + "@" + ARRAY));
  }

  private static String publicKey(Secret ssh) {
    return io.arraypki.operator.k8s.SecretData.text(ssh, SshSecrets.PUBLIC_KEY).orElseThrow();
  }

  private static io.fabric8.kubernetes.api.model.Condition condition(ClusterArrayStatus status, String type) {
    return Conditions.find(status.conditions, type).orElseThrow();
  }

  @SuppressWarnings("unused")
  private static List<String> nodes(List<VerifyProblem> problems) {
    return problems.stream().map(p -> p.node).toList();
  }

  @SuppressWarnings("unused")
  private static List<String> entries(List<CandidateEntry> entries) {
    return entries.stream().map(e -> e.node).toList();
  }
}
