package io.arraypki.operator.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ArrayNodeSpec;
import io.arraypki.operator.api.ArrayNodeStatus;
import io.arraypki.operator.api.CaStatus;
import io.arraypki.operator.api.CandidateMap;
import io.arraypki.operator.api.CandidateMapStatus;
import io.arraypki.operator.api.CertificateStatus;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.api.NodeRole;
import io.arraypki.operator.api.RenewalStatus;
import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.api.RotationReason;
import io.arraypki.operator.api.RotationStatus;
import io.arraypki.operator.api.TrustConfirmationStatus;
import io.arraypki.operator.api.TrustState;
import io.arraypki.operator.api.TrustedCa;
import io.arraypki.operator.api.VerifyProblem;
import io.arraypki.operator.api.VerifyProblemKind;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArrayStatusReportTest {
  private static final String G1 = "SHA256:11:11:11:11:AA";
  private static final String G2 = "SHA256:22:22:22:22:BB";

  private static TrustedCa trusted(long generation, String fingerprint) {
    var t = new TrustedCa();
    t.generation = generation;
    t.fingerprint = fingerprint;
    return t;
  }

  private static ClusterArray rotatingArray() {
    var array = new ClusterArray();
    array.setMetadata(new ObjectMetaBuilder().withName("sgd").withNamespace("demo").build());
    var status = new ClusterArrayStatus();
    status.primary = "node-a";
    status.members = 3;
    status.readyMembers = 3;
    status.ca = new CaStatus();
    status.ca.generation = 2L;
    status.ca.fingerprint = G2;
    status.ca.notAfter = "2036-12-06T00:00:00Z";
    status.trustedCAs = List.of(trusted(1, G1), trusted(2, G2));
    status.rotation = new RotationStatus();
    status.rotation.phase = RotationPhase.Resigning;
    status.rotation.reason = RotationReason.Renewal;
    status.rotation.toGeneration = 2L;
    status.rotation.resigned = 2;
    status.rotation.total = 3;
    status.rotation.waitingFor = List.of("node-c");
    status.rotation.waitingForCount = 1;
    status.renewal = new RenewalStatus();
    status.renewal.nextWindowStart = "2027-01-12T02:00:00Z";
    status.renewal.nextWindowEnd = "2027-01-12T05:00:00Z";
    status.renewal.caRenewalTime = "2035-11-06T02:29:04Z";
    status.conditions = List.of(new ConditionBuilder().withType("Ready").withStatus("True").withReason("Ready").build(),
        new ConditionBuilder().withType("Rotating").withStatus("True").withReason("Resigning").build());
    array.setStatus(status);
    return array;
  }

  private static ArrayNode node(String name, NodeRole role, String caFingerprint, TrustState trust) {
    var node = new ArrayNode();
    node.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("demo").build());
    node.setSpec(new ArrayNodeSpec());
    node.getSpec().array = "sgd";
    var status = new ArrayNodeStatus();
    status.role = role;
    status.caFingerprint = caFingerprint;
    status.caShortFingerprint = caFingerprint.substring(7, 18);
    status.peerCertificate = new CertificateStatus();
    status.peerCertificate.renewalTime = "2027-01-12T02:41:25Z";
    status.trust = new TrustConfirmationStatus();
    status.trust.state = trust;
    status.trust.behindSince = trust == TrustState.Stale ? "2026-12-06T10:00:00Z" : null;
    status.conditions = List.of(new ConditionBuilder().withType("Ready").withStatus("True").build());
    node.setStatus(status);
    return node;
  }

  private static CandidateMap mapWithAProblem() {
    var map = new CandidateMap();
    map.setMetadata(new ObjectMetaBuilder().withName("sgd").withNamespace("demo").build());
    map.setStatus(new CandidateMapStatus());
    var problem = new VerifyProblem();
    problem.node = "node-b";
    problem.problem = VerifyProblemKind.values()[0];
    problem.message = "an entry that is not a candidate";
    map.getStatus().problems = List.of(problem);
    return map;
  }

  private static final List<ArrayNode> NODES = List.of(
      node("node-c", NodeRole.Normal, G1, TrustState.Current),
      node("node-a", NodeRole.Primary, G2, TrustState.Current),
      node("node-b", NodeRole.Candidate, G2, TrustState.Stale));

  @Test
  void behindAreTheMembersSignedByAnOlderCaAndThoseWhoseTrustIsStale() {
    var report = ArrayStatusReport.of(rotatingArray(), NODES, mapWithAProblem());

    assertThat(report.behind()).containsExactly(
        new ArrayStatusReport.Behind("node-b", "trust Stale since 2026-12-06T10:00:00Z"),
        new ArrayStatusReport.Behind("node-c", "signed by CA generation 1, not the current generation 2"));
    assertThat(report.memberList()).extracting(ArrayStatusReport.Member::name).containsExactly("node-a", "node-b", "node-c");
    assertThat(report.memberList()).extracting(ArrayStatusReport.Member::caGeneration).containsExactly(2L, 2L, 1L);
  }

  @Test
  void oneScreenShowsTheRotationTheWindowTheProblemsAndATableOfMembers() {
    String text = ArrayStatusReport.of(rotatingArray(), NODES, mapWithAProblem()).render();

    assertThat(text.lines().toList()).startsWith(
        "ClusterArray demo/sgd: Ready=True, 3/3 members ready, primary node-a",
        "CA          generation 2, 22:22:22:22, valid until 2036-12-06T00:00:00Z, renews 2035-11-06T02:29:04Z",
        "Trusted CAs generation 1 11:11:11:11; generation 2 22:22:22:22",
        "Rotation    Resigning (Renewal) to generation 2: 2/3 re-signed, waiting for 1: node-c",
        "Windows     next 2027-01-12T02:00:00Z to 2027-01-12T05:00:00Z",
        "Conditions  Ready=True(Ready)  Rotating=True(Resigning)");
    assertThat(text).contains("Verify      1 problem(s): node-b ")
        .contains("MEMBER   ROLE        READY   CA GEN   TRUST     PEER RENEWS            CLIENT RENEWS")
        .contains("node-c   Normal      True    1        Current   2027-01-12T02:41:25Z   -");
    assertThat(text.lines().filter(l -> l.startsWith("node-")).count()).isEqualTo(3);
  }

  @Test
  void aQuietArrayRendersNobodyBehindAndTheJsonFormCarriesTheSameFacts() throws Exception {
    var array = rotatingArray();
    array.getStatus().rotation = null;
    var nodes = List.of(node("node-a", NodeRole.Primary, G2, TrustState.Current));
    var report = ArrayStatusReport.of(array, nodes, null);

    assertThat(report.render()).contains("Rotation    none in progress\n").contains("Behind      nobody\n")
        .contains("Verify      no problems\n");
    var json = new ObjectMapper().readTree(KubectlArraypki.json(report));
    assertThat(json.get("ca").get("generation").asLong()).isEqualTo(2);
    assertThat(json.get("memberList").get(0).get("name").asText()).isEqualTo("node-a");
    assertThat(json.get("behind")).isEmpty();
  }
}
