package io.arraypki.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.api.ArrayNode;
import io.arraypki.operator.api.ArrayNodeSpec;
import io.arraypki.operator.api.ArrayNodeStatus;
import io.arraypki.operator.api.CaSpec;
import io.arraypki.operator.api.CaStatus;
import io.arraypki.operator.api.CertificateStatus;
import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.api.ClusterArraySpec;
import io.arraypki.operator.api.ClusterArrayStatus;
import io.arraypki.operator.api.IssuerRef;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The rows /metrics shows, from what the caches hold: nothing registered, nothing to forget. */
class CertificateTimesTest {
  private static final Instant NOT_BEFORE = Instant.parse("2026-11-22T12:00:00Z");
  private static final Instant NOT_AFTER = NOT_BEFORE.plusSeconds(90L * 24 * 3600);

  private static ClusterArray array(String name, boolean broughtCa) {
    ClusterArray array = new ClusterArray();
    array.setMetadata(new ObjectMetaBuilder().withNamespace("ns").withName(name).build());
    array.setSpec(new ClusterArraySpec());
    if (broughtCa) {
      array.getSpec().ca = new CaSpec();
      array.getSpec().ca.issuerRef = new IssuerRef();
    }
    array.setStatus(new ClusterArrayStatus());
    array.getStatus().ca = new CaStatus();
    array.getStatus().ca.notBefore = NOT_BEFORE.toString();
    array.getStatus().ca.notAfter = NOT_AFTER.toString();
    return array;
  }

  private static ArrayNode node(String name, String array, boolean client) {
    ArrayNode node = new ArrayNode();
    node.setMetadata(new ObjectMetaBuilder().withNamespace("ns").withName(name).build());
    node.setSpec(new ArrayNodeSpec());
    node.getSpec().array = array;
    node.setStatus(new ArrayNodeStatus());
    node.getStatus().peerCertificate = certificate();
    node.getStatus().clientCertificate = client ? certificate() : null;
    return node;
  }

  private static CertificateStatus certificate() {
    CertificateStatus c = new CertificateStatus();
    c.notAfter = NOT_AFTER.toString();
    c.renewalTime = NOT_AFTER.minusSeconds(30L * 24 * 3600).toString();
    return c;
  }

  @Test
  void eachNodesCertificatesAndEachArraysCaAreOneRowWithTheTimesOfTheirStatus() {
    var rows = CertificateTimes.of(List.of(array("a", false)),
        List.of(node("a-0", "a", true), node("a-1", "a", false)), Map.of());
    assertThat(rows).extracting(r -> r.node() + "/" + r.kind())
        .containsExactlyInAnyOrder("a-0/peer", "a-0/client", "a-1/peer", "/ca");
    assertThat(rows).filteredOn(r -> r.kind().equals("peer")).allSatisfy(r -> {
      assertThat(r.array()).isEqualTo("a");
      assertThat(r.notAfter()).isEqualTo(NOT_AFTER);
      assertThat(r.renewal()).contains(NOT_AFTER.minusSeconds(30L * 24 * 3600));
    });
    // the CA of a default array: 87600h, renewed a third of its lifetime before its end when that is shorter
    assertThat(rows).filteredOn(r -> r.kind().equals("ca")).singleElement()
        .satisfies(r -> assertThat(r.renewal()).contains(
            io.arraypki.operator.pki.LeafDecision.renewalTime(NOT_BEFORE, NOT_AFTER,
                ArraySettings.defaults().caRenewBefore())));
  }

  @Test
  void whatIsNoLongerInTheCachesHasNoRowAndABroughtInCaHasNoRenewalTime() {
    assertThat(CertificateTimes.of(List.of(), List.of(), Map.of())).isEmpty();
    var rows = CertificateTimes.of(List.of(array("byo", true)), List.of(), Map.of());
    assertThat(rows).singleElement().satisfies(r -> {
      assertThat(r.kind()).isEqualTo("ca");
      assertThat(r.renewal()).isEqualTo(Optional.empty());
    });
  }

  @Test
  void aNodeWithoutStatusYetHasNoRow() {
    ArrayNode fresh = node("new", "a", false);
    fresh.setStatus(null);
    assertThat(CertificateTimes.of(List.of(), List.of(fresh), Map.of())).isEmpty();
  }

  @Test
  void anArrayRowCarriesItsRotationTimesOnlyWhileRotatingAndItsCrlNextUpdate() {
    ClusterArray rotating = array("rotating", false);
    rotating.getStatus().rotation = new io.arraypki.operator.api.RotationStatus();
    rotating.getStatus().rotation.phase = io.arraypki.operator.api.RotationPhase.PublishingTrust;
    rotating.getStatus().rotation.reason = io.arraypki.operator.api.RotationReason.Requested;
    rotating.getStatus().rotation.startedAt = "2026-12-06T10:00:00Z";
    rotating.getStatus().rotation.phaseEndsAt = "2026-12-06T10:10:00Z";
    ClusterArray idle = array("idle", false);
    idle.getStatus().rotation = new io.arraypki.operator.api.RotationStatus();
    idle.getStatus().rotation.phase = io.arraypki.operator.api.RotationPhase.Idle;
    idle.getStatus().rotation.startedAt = "2026-12-01T10:00:00Z";
    io.fabric8.kubernetes.api.model.ConfigMap trust = new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
        .withNewMetadata().withName("rotating-trust").withNamespace("ns")
        .addToAnnotations("arraypki.io/crl-next-update", "2026-12-13T10:00:00Z").endMetadata().build();

    List<CertificateTimes.ArrayRow> rows = CertificateTimes.arrayRows(List.of(rotating, idle),
        Map.of("ns/rotating", trust));

    assertThat(rows).containsExactly(
        new CertificateTimes.ArrayRow("ns", "rotating", Optional.of("PublishingTrust"), Optional.of("Requested"),
            Optional.of(Instant.parse("2026-12-06T10:00:00Z")), Optional.of(Instant.parse("2026-12-06T10:10:00Z")),
            Optional.of(Instant.parse("2026-12-13T10:00:00Z"))),
        new CertificateTimes.ArrayRow("ns", "idle", Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty()));

    var snapshots = new io.arraypki.operator.ops.ArrayGauges(() -> rows).collect();
    var text = new java.io.ByteArrayOutputStream();
    try {
      new io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter(false).write(text, snapshots);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    assertThat(text.toString(java.nio.charset.StandardCharsets.UTF_8))
        .contains("arraypki_rotation_started_timestamp_seconds{array=\"rotating\",namespace=\"ns\",phase=\"PublishingTrust\",reason=\"Requested\"} 1.7965512E9")
        .contains("arraypki_rotation_phase_ends_timestamp_seconds{array=\"rotating\",namespace=\"ns\",phase=\"PublishingTrust\"} 1.7965518E9")
        .contains("arraypki_crl_next_update_timestamp_seconds{array=\"rotating\",namespace=\"ns\"} 1.797156E9")
        .doesNotContain("array=\"idle\"");
  }
}
