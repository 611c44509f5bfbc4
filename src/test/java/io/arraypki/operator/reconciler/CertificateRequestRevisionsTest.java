package io.arraypki.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.k8s.Revocations;
import io.arraypki.operator.k8s.certmanager.CertificateRequest;
import io.arraypki.operator.pki.CaSubject;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.CertificateIssuer;
import io.arraypki.operator.pki.KeyPairs;
import io.arraypki.operator.pki.KeySpec;
import io.arraypki.operator.pki.LeafRequest;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.pki.Revocation;
import io.arraypki.operator.pki.Usage;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The revisions of a cert-manager Certificate an array signed: which certificates a new revision
 * replaces (revoked after the propagation delay), and when a rotation asks for a new one.
 */
class CertificateRequestRevisionsTest {
  private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
  private static final KeyPair CA_KEYS = KeyPairs.generate(KeySpec.ECDSA_P256);
  private static final CertificateAuthority CA = CertificateAuthority.selfSigned(CertificateIssuer.selfSignedCa(
      CaSubject.of("sgd CA g1"), CA_KEYS, NOW.minusSeconds(3600), NOW.plus(Duration.ofDays(3650))),
      CA_KEYS.getPrivate());

  private static X509Certificate leaf(Instant notAfter) {
    return CertificateIssuer.signLeaf(CA, new LeafRequest("app.clients.example.com",
        List.of("app.clients.example.com"), List.of(), List.of(), Set.of(Usage.CLIENT_AUTH),
        KeyPairs.generate(KeySpec.ECDSA_P256).getPublic(), NOW.minusSeconds(60), notAfter));
  }

  private static CertificateRequest request(String name, String certificate, long revision, String array,
      X509Certificate signed, Long generation, String trusted) {
    CertificateRequest r = new CertificateRequest();
    var meta = new ObjectMetaBuilder().withName(name).withNamespace("ns")
        .addToAnnotations(CertificateRequest.CERTIFICATE_NAME, certificate)
        .addToAnnotations(CertificateRequest.CERTIFICATE_REVISION, Long.toString(revision));
    if (generation != null) {
      meta.addToAnnotations(CertificateRequestSigner.CA_GENERATION, generation.toString());
      meta.addToAnnotations(CertificateRequestSigner.TRUSTED_GENERATIONS, trusted);
    }
    r.setMetadata(meta.build());
    r.setSpec(new CertificateRequest.Spec());
    r.getSpec().issuerRef = new CertificateRequest.IssuerRef();
    r.getSpec().issuerRef.group = "arraypki.io";
    r.getSpec().issuerRef.kind = "ClusterArray";
    r.getSpec().issuerRef.name = array;
    r.setStatus(new CertificateRequest.Status());
    if (signed != null) {
      r.getStatus().certificate = Base64.getEncoder().encodeToString(Pem.encode(List.of(signed))
          .getBytes(StandardCharsets.UTF_8));
    }
    return r;
  }

  @Test
  void aNewRevisionReplacesTheEarlierOnesThisArraySignedAndKeepsWhatTheyReplacedForward() {
    X509Certificate first = leaf(NOW.plus(Duration.ofDays(90)));
    X509Certificate second = leaf(NOW.plus(Duration.ofDays(90)));
    X509Certificate expired = leaf(NOW.minusSeconds(1));
    X509Certificate older = leaf(NOW.plus(Duration.ofDays(30)));
    CertificateRequest one = request("app-1", "app", 1, "sgd", first, 1L, "1");
    CertificateRequest two = request("app-2", "app", 2, "sgd", second, 1L, "1");
    two.getMetadata().getAnnotations().put(CertificateRequestSigner.SUPERSEDED, Revocations.formatSuperseded(List.of(
        new Revocation(older.getSerialNumber(), 1, NOW.minusSeconds(600), older.getNotAfter().toInstant(), "x", "Renewed"),
        new Revocation(expired.getSerialNumber(), 1, NOW.minusSeconds(600), expired.getNotAfter().toInstant(), "x",
            "Renewed"))));
    CertificateRequest three = request("app-3", "app", 3, "sgd", null, null, null);
    List<CertificateRequest> all = List.of(one, two, three,
        request("other-1", "other", 1, "sgd", leaf(NOW.plus(Duration.ofDays(9))), 1L, "1"),
        request("elsewhere-1", "app", 1, "another-array", leaf(NOW.plus(Duration.ofDays(9))), 1L, "1"),
        request("unsigned-1", "app", 1, "sgd", null, null, null),
        request("later-4", "app", 4, "sgd", leaf(NOW.plus(Duration.ofDays(9))), 1L, "1"));

    List<Revocation> replaced = CertificateRequestSigner.superseded(three, all, NOW);

    assertThat(replaced).extracting(Revocation::serial).containsExactlyInAnyOrder(first.getSerialNumber(),
        second.getSerialNumber(), older.getSerialNumber());
    assertThat(replaced).filteredOn(r -> r.serial().equals(first.getSerialNumber())).singleElement()
        .satisfies(r -> {
          assertThat(r.revokedAt()).as("replaced now: revoked after the delay from now").isEqualTo(NOW);
          assertThat(r.notAfter()).isEqualTo(first.getNotAfter().toInstant());
          assertThat(r.caGeneration()).isEqualTo(1L);
        });
    assertThat(replaced).filteredOn(r -> r.serial().equals(older.getSerialNumber())).singleElement()
        .satisfies(r -> assertThat(r.revokedAt()).as("kept from when it was replaced")
            .isEqualTo(NOW.minusSeconds(600)));
  }

  @Test
  void theArrayRevokesAReplacedClientCertificateOnlyOnceThePropagationDelayHasPassed() {
    X509Certificate replacedLate = leaf(NOW.plus(Duration.ofDays(90)));
    X509Certificate replacedEarly = leaf(NOW.plus(Duration.ofDays(90)));
    CertificateRequest latest = request("app-3", "app", 3, "sgd", leaf(NOW.plus(Duration.ofDays(90))), 1L, "1");
    latest.getMetadata().getAnnotations().put(CertificateRequestSigner.SUPERSEDED, Revocations.formatSuperseded(List.of(
        new Revocation(replacedLate.getSerialNumber(), 1, NOW.minusSeconds(30), NOW.plus(Duration.ofDays(90)), "x",
            "Renewed"),
        new Revocation(replacedEarly.getSerialNumber(), 1, NOW.minusSeconds(300), NOW.plus(Duration.ofDays(90)), "x",
            "Renewed"))));
    List<Instant> wakeAt = new ArrayList<>();

    List<Revocation> ledger = ArrayPlanner.clientsSuperseded(List.of(), List.of(latest), Duration.ofMinutes(2), NOW,
        wakeAt);

    assertThat(ledger).extracting(Revocation::serial).containsExactly(replacedEarly.getSerialNumber());
    assertThat(ledger.get(0).node()).isEqualTo("certificate/app");
    assertThat(wakeAt).containsExactly(NOW.minusSeconds(30).plus(Duration.ofMinutes(2)));
    BigInteger already = replacedLate.getSerialNumber();
    Revocation held = new Revocation(already, 1, NOW.minusSeconds(5), NOW.plus(Duration.ofDays(90)), "x", "Renewed");
    assertThat(ArrayPlanner.clientsSuperseded(List.of(held), List.of(latest), Duration.ofMinutes(2), NOW,
        new ArrayList<>())).extracting(Revocation::serial).containsExactlyInAnyOrder(already,
            replacedEarly.getSerialNumber());
  }

  @Test
  void aRotationAsksForANewRevisionFirstToTrustTheNextCaThenToBeSignedByIt() {
    X509Certificate any = leaf(NOW.plus(Duration.ofDays(90)));
    List<CertificateRequest> signed = List.of(request("app-1", "app", 1, "sgd", any, 1L, "1"));

    assertThat(ClientReissue.due(signed, 1, List.of(1L))).as("nothing rotates").isEmpty();
    assertThat(ClientReissue.due(signed, 1, List.of(1L, 2L))).as("the next CA published")
        .containsExactly(new ClientReissue.Request("app", "its ca.crt lacks CA generation(s) 2, trusted now"));
    List<CertificateRequest> trusting = List.of(signed.get(0), request("app-2", "app", 2, "sgd", any, 1L, "1,2"));
    assertThat(ClientReissue.due(trusting, 1, List.of(1L, 2L))).as("its latest revision trusts both").isEmpty();
    assertThat(ClientReissue.due(trusting, 2, List.of(1L, 2L))).as("generation 2 signs")
        .containsExactly(new ClientReissue.Request("app", "CA generation 2 signs now; its certificate is of generation 1"));
    List<CertificateRequest> moved = List.of(trusting.get(1), request("app-3", "app", 3, "sgd", any, 2L, "1,2"));
    assertThat(ClientReissue.due(moved, 2, List.of(2L))).as("generation 1 retired: nothing more").isEmpty();
    assertThat(ClientReissue.due(List.of(request("app-9", "app", 9, "sgd", any, null, null)), 2, List.of(2L)))
        .as("an annotation someone removed: nothing to go by").isEmpty();
  }
}
