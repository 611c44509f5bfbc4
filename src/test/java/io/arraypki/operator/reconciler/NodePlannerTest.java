package io.arraypki.operator.reconciler;

import static io.arraypki.operator.reconciler.Pki.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ArrayNodeSpec;
import io.arraypki.operator.api.ArrayNodeStatus;
import io.arraypki.operator.api.CaStatus;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArraySpec;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.api.KeyProvider;
import io.arraypki.operator.api.NodeRole;
import io.arraypki.operator.k8s.Conditions;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.LeafSecrets;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.KeyPairs;
import io.arraypki.operator.pki.KeySpec;
import io.arraypki.operator.pki.Pem;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A Node's rows of DESIGN.md sections 3 and 4, planned from fixed observations at fixed instants. */
class NodePlannerTest {
  private static final String NS = "pki";
  private final CertificateAuthority ca = Pki.ca("sgd g1");

  private static ArrayNode node(String name, String array) {
    ArrayNode node = new ArrayNode();
    node.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).withUid("uid-" + name)
        .withGeneration(1L).withCreationTimestamp(Conditions.timestamp(NOW.minus(Duration.ofHours(1)))).build());
    node.setSpec(new ArrayNodeSpec());
    node.getSpec().array = array;
    node.getSpec().peerDNSName = name + "." + array + ".example.com";
    return node;
  }

  private static ClusterArray array(String primary, List<String> candidates) {
    ClusterArray array = new ClusterArray();
    array.setMetadata(new ObjectMetaBuilder().withName("sgd").withNamespace(NS).withUid("uid-sgd").withGeneration(1L)
        .build());
    array.setSpec(new ClusterArraySpec());
    array.getSpec().primary = primary;
    array.setStatus(new ClusterArrayStatus());
    array.getStatus().ca = new CaStatus();
    array.getStatus().ca.generation = 1L;
    array.getStatus().candidates = candidates;
    return array;
  }

  private IssuingView view(ClusterArray array) {
    return new IssuingView("sgd", array, ArraySettings.of(array.getSpec()), ca, 1, Pem.encode(ca.certificate()), 1,
        List.of(), KeystorePasswords.NONE, null, null);
  }

  private static NodeObservation observe(ArrayNode node, IssuingView view, Optional<Secret> peer,
      Optional<Secret> client) {
    return new NodeObservation(node, view, Optional.empty(), Optional.ofNullable(view).map(IssuingView::array),
        peer, client, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
  }

  private static Condition condition(ArrayNodeStatus status, String type) {
    return Conditions.find(status.conditions, type).orElseThrow();
  }

  private static Optional<Secret> held(NodePlan plan, NodeCertificate kind) {
    return plan.leaves().stream().map(LeafIssuer.Planned::desired)
        .filter(s -> s.getMetadata().getName().equals(kind.secretName("b"))).findFirst();
  }

  @Test
  void aMemberThatJoinsGetsAPeerCertificateOfTheSigningCaAndNoClientCertificate() {
    NodePlan plan = NodePlanner.plan(observe(node("b", "sgd"), view(array("a", List.of("a"))), Optional.empty(),
        Optional.empty()), NOW);

    assertThat(plan.leaves()).hasSize(1);
    Secret peer = held(plan, NodeCertificate.PEER).orElseThrow();
    assertThat(LeafSecrets.leaf(peer).orElseThrow().getIssuerX500Principal())
        .isEqualTo(ca.certificate().getSubjectX500Principal());
    assertThat(plan.status().role).isEqualTo(NodeRole.Normal);
    assertThat(plan.status().clientCertificate).isNull();
    assertThat(plan.status().caFingerprint).isEqualTo(Fingerprints.fingerprint(ca.certificate()));
    assertThat(condition(plan.status(), NodeStatusBuilder.JOINED).getStatus()).isEqualTo("True");
    assertThat(condition(plan.status(), NodeStatusBuilder.TRUST_VERIFIED).getReason()).isEqualTo("NoPin");
    assertThat(condition(plan.status(), NodeStatusBuilder.CERTIFICATE_ISSUED).getReason()).isEqualTo("Issued");
    assertThat(condition(plan.status(), NodeStatusBuilder.READY).getStatus()).isEqualTo("True");
    assertThat(plan.wake()).contains(Instant.parse(plan.status().peerCertificate.renewalTime));
    assertThat(plan.announcements()).singleElement().isInstanceOf(NodeAnnouncement.Leaf.class);
  }

  @Test
  void aCandidateGetsAClientCertificateToo() {
    NodePlan plan = NodePlanner.plan(observe(node("b", "sgd"), view(array("a", List.of("a", "b"))),
        Optional.empty(), Optional.empty()), NOW);

    assertThat(plan.status().role).isEqualTo(NodeRole.Candidate);
    assertThat(plan.leaves()).hasSize(2);
    assertThat(plan.status().clientCertificate.secretName).isEqualTo("b-client-tls");
    assertThat(held(plan, NodeCertificate.CLIENT)).isPresent();
  }

  @Test
  void anOfflineNodeGetsNothingAndSaysSo() {
    ArrayNode node = node("b", "sgd");
    node.getSpec().offline = true;
    NodePlan plan = NodePlanner.plan(observe(node, null, Optional.empty(), Optional.empty()), NOW);

    assertThat(plan.leaves()).isEmpty();
    assertThat(plan.create()).isEmpty();
    assertThat(plan.status().role).isEqualTo(NodeRole.Offline);
    assertThat(condition(plan.status(), NodeStatusBuilder.CERTIFICATE_ISSUED).getReason()).isEqualTo("Offline");
    assertThat(plan.wake()).isEmpty();
  }

  @Test
  void aNodeThatLeftAnArrayThatStillHoldsItsPeerSecretGetsNothingUntilThatArrayRevokedIt() {
    ArrayNode node = node("b", "");
    NodeObservation o = new NodeObservation(node, null, Optional.of("sgd"), Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    NodePlan plan = NodePlanner.plan(o, NOW);

    assertThat(plan.leaves()).isEmpty();
    assertThat(plan.createCa()).isEmpty();
    assertThat(plan.status().role).isEqualTo(NodeRole.Pending);
    assertThat(condition(plan.status(), NodeStatusBuilder.CERTIFICATE_ISSUED).getReason())
        .isEqualTo("WaitingForRevocation");
  }

  @Test
  void anUnchangedObservationPlansNoWritesAndKeepsEveryLastTransitionTime() {
    ClusterArray array = array("a", List.of("a", "b"));
    NodePlan first = NodePlanner.plan(observe(node("b", "sgd"), view(array), Optional.empty(), Optional.empty()), NOW);
    assertThat(first.writes()).isTrue();

    ArrayNode after = node("b", "sgd");
    after.setStatus(first.status());
    Instant later = NOW.plus(Duration.ofHours(1));
    NodePlan second = NodePlanner.plan(observe(after, view(array), held(first, NodeCertificate.PEER),
        held(first, NodeCertificate.CLIENT)), later);

    assertThat(second.writes()).as("nothing to write").isFalse();
    assertThat(second.statusChanged()).isFalse();
    assertThat(second.status().conditions).isEqualTo(first.status().conditions);
    assertThat(second.status().conditions).allSatisfy(c ->
        assertThat(c.getLastTransitionTime()).isEqualTo(Conditions.timestamp(NOW)));
    assertThat(second.announcements()).allSatisfy(a ->
        assertThat(((NodeAnnouncement.Leaf) a).result().issuedReason()).isNull());
  }

  @Test
  void aStatusFromBeforeTheLastWriteDoesNotHideThatTheHeldCertificateRepairedADamagedSecret() {
    ClusterArray array = array("a", List.of("a"));
    NodePlan issued = NodePlanner.plan(observe(node("b", "sgd"), view(array), Optional.empty(), Optional.empty()), NOW);
    Secret repaired = new io.fabric8.kubernetes.api.model.SecretBuilder(held(issued, NodeCertificate.PEER).orElseThrow())
        .editMetadata().addToAnnotations(io.arraypki.operator.k8s.Labels.REPAIRED_DAMAGE, "CertificateUnreadable")
        .endMetadata().build();
    // the status a reconcile may be handed: the peer certificate of now, the condition of before
    ArrayNode stale = node("b", "sgd");
    stale.setStatus(issued.status());
    assertThat(condition(stale.getStatus(), NodeStatusBuilder.CERTIFICATE_ISSUED).getReason()).isEqualTo("Issued");

    NodePlan plan = NodePlanner.plan(observe(stale, view(array), Optional.of(repaired), Optional.empty()), NOW);

    assertThat(condition(plan.status(), NodeStatusBuilder.CERTIFICATE_ISSUED).getReason()).isEqualTo("Repaired");
    assertThat(condition(plan.status(), NodeStatusBuilder.CERTIFICATE_ISSUED).getMessage())
        .contains("was damaged (CertificateUnreadable)");
    assertThat(plan.statusChanged()).isTrue();
  }

  @Test
  void aNodeThatKeepsItsKeyWaitsForItsCsrAndIsGivenNoKey() {
    ArrayNode node = node("b", "sgd");
    node.getSpec().keyProvider = KeyProvider.External;
    NodePlan plan = NodePlanner.plan(observe(node, view(array("a", List.of("a"))), Optional.empty(),
        Optional.empty()), NOW);

    assertThat(plan.leaves()).isEmpty();
    Condition issued = condition(plan.status(), NodeStatusBuilder.CERTIFICATE_ISSUED);
    assertThat(issued.getReason()).isEqualTo("WaitingForCSR");
    assertThat(issued.getMessage()).contains("clusterarrays.arraypki.io/pki.sgd");
    assertThat(plan.wake()).isEmpty();
  }

  @Test
  void aCsrCertificateInTheSecretIsKeptAndAfterARotationTheSamePublicKeyIsReSignedByTheNewCa() {
    ArrayNode node = node("b", "sgd");
    node.getSpec().keyProvider = KeyProvider.External;
    ClusterArray array = array("a", List.of("a"));
    KeyPair tpm = KeyPairs.generate(KeySpec.ECDSA_P256);
    IssuingView view = view(array);
    IssuedLeaf fromCsr = IssuedLeaf.forPublicKey(ca, view.peerProfile(node), tpm.getPublic(), NOW, null);
    var target = new LeafIssuer.Target(array, "b", "b-peer-tls", Labels.COMPONENT_PEER, view.peerProfile(node),
        Optional.empty(), null, true, node);
    assertThat(LeafIssuer.plan(view, target, NOW)).as("nothing to re-sign before the first CSR").isNull();
    Secret signed = writtenBySigner(view, target, fromCsr);

    NodePlan kept = NodePlanner.plan(observe(node, view, Optional.of(signed), Optional.empty()), NOW.plusSeconds(5));
    assertThat(kept.leaves()).singleElement().satisfies(l -> assertThat(l.writes()).isFalse());
    assertThat(condition(kept.status(), NodeStatusBuilder.CERTIFICATE_ISSUED).getReason()).isEqualTo("Issued");
    assertThat(kept.status().peerCertificate.serialNumber)
        .isEqualTo(io.arraypki.operator.pki.SerialNumbers.format(fromCsr.certificate().getSerialNumber()));

    CertificateAuthority next = Pki.ca("sgd g2");
    IssuingView rotated = new IssuingView("sgd", array, view.settings(), next, 2, Pem.encode(next.certificate()), 2,
        List.of(), KeystorePasswords.NONE, null, null);
    NodePlan resigned = NodePlanner.plan(observe(node, rotated, Optional.of(signed), Optional.empty()),
        NOW.plusSeconds(60));
    var leaf = LeafSecrets.leaf(resigned.leaves().get(0).desired()).orElseThrow();
    assertThat(leaf.getPublicKey()).isEqualTo(tpm.getPublic());
    assertThat(leaf.getIssuerX500Principal()).isEqualTo(next.certificate().getSubjectX500Principal());
    assertThat(resigned.leaves().get(0).desired().getData().get("tls.key")).as("no key is kept for it").isEmpty();
  }

  /** The Secret the CSR signer writes (LeafIssuer.signed's content, without a cluster). */
  private static Secret writtenBySigner(IssuingView view, LeafIssuer.Target target, IssuedLeaf leaf) {
    var placement = new LeafSecrets.Placement(target.secretName(), target.owner(), view.arrayName(), target.node(),
        target.component(), view.templateLabels(), view.templateAnnotations());
    return LeafSecrets.secret(placement, new LeafSecrets.Content(leaf.chainPem(), null, view.bundlePem(),
        java.util.Map.of()), java.util.Map.of(Labels.SIGNED_BY_GENERATION, "1", Labels.TRUST_GENERATION, "1",
        CsrSigner.CSR_ANNOTATION, "csr-1", Labels.NODE_UID, target.handedOverFrom().getMetadata().getUid()));
  }

  @Test
  void aMembersSecretsAreControlledByItsArraySoThatTheyOutliveADeletedNode() {
    NodePlan plan = NodePlanner.plan(observe(node("b", "sgd"), view(array("b", List.of("b"))), Optional.empty(),
        Optional.empty()), NOW);

    assertThat(plan.leaves()).hasSize(2).allSatisfy(l -> {
      assertThat(io.arraypki.operator.k8s.ManagedObjects.controlledBy(l.desired(), array("b", List.of("b"))))
          .as(l.desired().getMetadata().getName() + " controlled by the array").isTrue();
      assertThat(io.arraypki.operator.k8s.ManagedObjects.controlledBy(l.desired(), node("b", "sgd"))).isFalse();
    });
    assertThat(plan.releaseLegacyFinalizer()).as("a Node without the earlier finalizer is not patched").isFalse();
  }

  /**
   * An earlier version's Node: finalizer, and a peer Secret the Node controls. The plan takes the
   * Secret over for the array (same certificate) and releases the finalizer; a Node whose Secret
   * stays its own (it waits for another array to revoke it) keeps the finalizer.
   */
  @Test
  void anEarlierVersionsFinalizerComesOffOnlyOnceNoUnrevokedArraySecretIsTheNodesOwn() {
    ArrayNode node = node("b", "sgd");
    node.getMetadata().setFinalizers(List.of(io.arraypki.operator.k8s.LegacyFinalizers.NODE));
    IssuingView view = view(array("a", List.of("a")));
    Secret issued = held(NodePlanner.plan(observe(node, view, Optional.empty(), Optional.empty()), NOW),
        NodeCertificate.PEER).orElseThrow();
    Secret ownedByTheNode = new io.fabric8.kubernetes.api.model.SecretBuilder(issued).editMetadata()
        .withOwnerReferences(io.arraypki.operator.k8s.ManagedObjects.ownerReference(node)).endMetadata().build();

    NodePlan takenOver = NodePlanner.plan(observe(node, view, Optional.of(ownedByTheNode), Optional.empty()),
        NOW.plusSeconds(5));
    assertThat(takenOver.leaves()).singleElement().satisfies(l -> {
      assertThat(l.writes()).as("the owner changes").isTrue();
      assertThat(l.handedOverFrom()).isSameAs(node);
      assertThat(l.desired().getData()).as("the same certificate and key").isEqualTo(issued.getData());
    });
    assertThat(takenOver.releaseLegacyFinalizer()).isTrue();

    NodeObservation waiting = new NodeObservation(node, null, Optional.of("other"), Optional.empty(),
        Optional.of(ownedByTheNode), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.empty());
    assertThat(NodePlanner.plan(waiting, NOW.plusSeconds(5)).releaseLegacyFinalizer())
        .as("its Secret would go unrevoked with the Node").isFalse();
  }

  @Test
  void aPinThatDoesNotMatchIssuesNothingAndWarnsOnceNotInEveryReconcile() {
    ArrayNode node = node("b", "sgd");
    node.getSpec().trustedCAFingerprint = "SHA256:00:11";
    IssuingView view = view(array("a", List.of("a")));
    NodePlan first = NodePlanner.plan(observe(node, view, Optional.empty(), Optional.empty()), NOW);

    assertThat(first.leaves()).isEmpty();
    assertThat(condition(first.status(), NodeStatusBuilder.TRUST_VERIFIED).getReason())
        .isEqualTo("FingerprintMismatch");
    assertThat(first.announcements()).singleElement().isInstanceOf(NodeAnnouncement.Warning.class);

    node.setStatus(first.status());
    NodePlan second = NodePlanner.plan(observe(node, view, Optional.empty(), Optional.empty()), NOW.plusSeconds(30));
    assertThat(second.announcements()).isEmpty();
    assertThat(second.writes()).isFalse();
  }

  @Test
  void aMissingKeystorePasswordIssuesTheCertificateWithoutKeystoresSaysSoOnceAndLooksAgainSoon() {
    ClusterArray array = array("a", List.of("a"));
    IssuingView base = view(array);
    IssuingView view = new IssuingView("sgd", array, base.settings(), ca, 1, base.bundlePem(), 1, List.of(),
        new KeystorePasswords(null, null, "the pkcs12 password Secret p does not exist"), null, null);
    NodePlan plan = NodePlanner.plan(observe(node("b", "sgd"), view, Optional.empty(), Optional.empty()), NOW);

    assertThat(held(plan, NodeCertificate.PEER).orElseThrow().getData()).containsKey("tls.crt")
        .doesNotContainKey("keystore.p12");
    assertThat(condition(plan.status(), NodeStatusBuilder.CERTIFICATE_ISSUED).getReason())
        .isEqualTo("KeystorePasswordMissing");
    assertThat(plan.announcements()).filteredOn(NodeAnnouncement.Warning.class::isInstance).hasSize(1);
    assertThat(plan.wake()).contains(NOW.plus(NodePlanner.KEYSTORE_RETRY));
  }

  @Test
  void aPasswordSecretIsReadLiveOncePerVersionItsDatalessCopyShowsAndSharedByTheMembers() {
    var spec = new io.arraypki.operator.api.KeystoresSpec();
    spec.pkcs12 = new io.arraypki.operator.api.KeystoreSpec();
    spec.pkcs12.create = true;
    spec.pkcs12.passwordSecretRef = new io.arraypki.operator.api.SecretKeySelector("p", "password");
    java.util.concurrent.atomic.AtomicReference<String> liveVersion = new java.util.concurrent.atomic.AtomicReference<>("1");
    java.util.concurrent.atomic.AtomicReference<String> cachedVersion = new java.util.concurrent.atomic.AtomicReference<>("1");
    List<String> liveReads = new java.util.ArrayList<>();
    KeystorePasswords.Source live = (ns, name) -> {
      liveReads.add(name + "@" + liveVersion.get());
      return Optional.of(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName(name)
          .withNamespace(ns).withResourceVersion(liveVersion.get()).endMetadata().addToData("password",
              java.util.Base64.getEncoder().encodeToString(("s3cret-" + liveVersion.get()).getBytes())).build());
    };
    // what the informer holds: metadata only (InformerStores.withoutData)
    KeystorePasswords.Source metadata = (ns, name) -> Optional.of(new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata().withName(name).withNamespace(ns).withResourceVersion(cachedVersion.get()).endMetadata().build());
    PasswordSecretReads reads = new PasswordSecretReads();

    assertThat(KeystorePasswords.read(reads.source(metadata, live), NS, spec).pkcs12()).isEqualTo("s3cret-1");
    assertThat(KeystorePasswords.read(reads.source(metadata, live), NS, spec).pkcs12())
        .as("the next member's reconcile").isEqualTo("s3cret-1");
    assertThat(liveReads).as("one GET for the version the informer shows").containsExactly("p@1");

    liveVersion.set("2");
    cachedVersion.set("2");
    assertThat(KeystorePasswords.read(reads.source(metadata, live), NS, spec).pkcs12())
        .as("changed: the informer's copy shows a new version").isEqualTo("s3cret-2");
    assertThat(liveReads).containsExactly("p@1", "p@2");

    KeystorePasswords.Source nothingCached = (ns, name) -> Optional.empty();
    KeystorePasswords.Source absent = (ns, name) -> {
      liveReads.add(name + "@absent");
      return Optional.empty();
    };
    KeystorePasswords missed = KeystorePasswords.read(reads.source(nothingCached, absent), NS, spec);
    assertThat(liveReads).as("not in the informer: read live").endsWith("p@absent");
    assertThat(missed.problem()).contains("p does not exist");
    assertThat(KeystorePasswords.read(live, NS, null)).as("no keystores asked for: nothing read")
        .isEqualTo(KeystorePasswords.NONE);
    assertThat(reads.held()).as("only the Secret that was named is held with its data").isEqualTo(1);
  }

  @Test
  void aPasswordSecretConcernsTheArraysThatNameItForKeystoresTheyCreate() {
    var spec = new io.arraypki.operator.api.KeystoresSpec();
    spec.jks = new io.arraypki.operator.api.KeystoreSpec();
    spec.jks.passwordSecretRef = new io.arraypki.operator.api.SecretKeySelector("p", "password");
    assertThat(KeystorePasswords.names(spec, "p")).as("create not set: no keystore, no password").isFalse();
    spec.jks.create = true;
    assertThat(KeystorePasswords.names(spec, "p")).isTrue();
    assertThat(KeystorePasswords.names(spec, "q")).isFalse();
    assertThat(KeystorePasswords.names(null, "p")).isFalse();
  }
}
