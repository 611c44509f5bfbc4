package io.arraypki.operator.trust;

import static org.assertj.core.api.Assertions.assertThat;

import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.Fingerprints;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trust reporter: what it reports (a pure function of the certificates) and when it writes
 * (once per change, never in a steady state, never after a restart that changed nothing, again
 * after a failure). Files are swapped the way the kubelet does, with a {@code ..data} flip.
 */
class TrustConfirmationsTest {
  private static final Duration FAST = Duration.ofMillis(20);

  @TempDir Path dir;

  private final CertificateAuthority oldCa = TestPki.ca("array-ca-1");
  private final CertificateAuthority newCa = TestPki.ca("array-ca-2");
  private final ConcurrentLinkedQueue<String> logged = new ConcurrentLinkedQueue<>();

  private Path tlsDir() {
    return dir.resolve("tls");
  }

  private Path trustDir() {
    return dir.resolve("trust");
  }

  private MemberTls mounted(TestPki.Leaf leaf, CertificateAuthority... trusted) {
    TestPki.mount(tlsDir(), TestPki.tlsFiles(leaf));
    TestPki.mount(trustDir(), Map.of("ca.crt", TestPki.bundle(trusted)));
    return MemberTls.open(tlsDir(), trustDir(), false);
  }

  private TrustConfirmations reporter(LeaseWriter lease, MemberTls tls) {
    return TrustConfirmations.forMember(lease, "pod-a", FAST, logged::add, tls);
  }

  @Test
  void aConfirmationIsTheSortedDistinctDigestsAndHexSerials() {
    TestPki.Leaf peer = TestPki.leaf(oldCa, "node-a.example");
    TestPki.Leaf client = TestPki.leaf(oldCa, "node-a-client.example");
    Confirmation c = Confirmation.of(List.of(newCa.certificate(), oldCa.certificate(), newCa.certificate()),
        List.of(peer.certificate(), client.certificate(), peer.certificate()));

    assertThat(c.trustedCas()).containsExactlyElementsOf(
        java.util.stream.Stream.of(Fingerprints.digest(oldCa.certificate()), Fingerprints.digest(newCa.certificate()))
            .sorted().toList());
    assertThat(c.trustedCas()).allMatch(d -> d.matches("sha256:[0-9a-f]{64}"));
    assertThat(c.leafSerials()).containsExactlyElementsOf(
        java.util.stream.Stream.of(peer.serial().toString(16), client.serial().toString(16)).sorted().toList());
    assertThat(c.leafSerials()).allMatch(s -> s.matches("[1-9a-f][0-9a-f]*"));
    // the order of the files does not matter: equal material, equal confirmation
    assertThat(Confirmation.of(List.of(oldCa.certificate(), newCa.certificate()),
        List.of(client.certificate(), peer.certificate()))).isEqualTo(c);
  }

  @Test
  void aConfirmationIsCarriedByTwoCommaJoinedAnnotationsAndReadBackFromThem() {
    Confirmation c = new Confirmation(List.of("sha256:bb", "sha256:aa", "sha256:bb"), List.of("1f", "0a3", "1f"));
    assertThat(c.trustedCas()).containsExactly("sha256:aa", "sha256:bb");
    assertThat(c.leafSerials()).containsExactly("0a3", "1f");
    assertThat(c.annotations()).containsExactly(Map.entry(Confirmation.TRUSTED_CAS, "sha256:aa,sha256:bb"),
        Map.entry(Confirmation.LEAF_SERIALS, "0a3,1f"));
    assertThat(Confirmation.fromAnnotations(c.annotations())).isEqualTo(c);
    assertThat(Confirmation.fromAnnotations(Map.of())).isNull();
    assertThat(Confirmation.fromAnnotations(null)).isNull();
    assertThat(Confirmation.fromAnnotations(Map.of(Confirmation.TRUSTED_CAS, "", Confirmation.LEAF_SERIALS, "")))
        .isEqualTo(new Confirmation(List.of(), List.of()));
    // a serial of the JDK's formatting: lower case, no leading zero
    assertThat(new java.math.BigInteger("00ABCDEF", 16).toString(16)).isEqualTo("abcdef");
  }

  @Test
  void thePatchIsTheContractsWithAMicroTimeOfSixDigits() throws Exception {
    Instant at = Instant.parse("2026-12-02T13:07:03.123Z");
    assertThat(KubernetesLease.microTime(at)).isEqualTo("2026-12-02T13:07:03.123000Z");
    assertThat(KubernetesLease.microTime(Instant.parse("2026-12-02T13:07:03Z"))).isEqualTo("2026-12-02T13:07:03.000000Z");
    assertThat(KubernetesLease.microTime(Instant.parse("2026-12-02T13:07:03.123456789Z")))
        .isEqualTo("2026-12-02T13:07:03.123456Z");
    String patch = KubernetesLease.patch(new Confirmation(List.of("sha256:aa"), List.of("1f", "2e")), "pod-a", at)
        .toString();
    assertThat(patch).isEqualTo("{\"metadata\":{\"annotations\":{\"arraypki.io/trusted-cas\":\"sha256:aa\","
        + "\"arraypki.io/leaf-serials\":\"1f,2e\",\"arraypki.io/confirmed-at\":\"2026-12-02T13:07:03.123Z\"}},"
        + "\"spec\":{\"holderIdentity\":\"pod-a\",\"renewTime\":\"2026-12-02T13:07:03.123000Z\"}}");
  }

  @Test
  void itWritesOncePerChangeAndNothingWhileTheFilesStayTheSame() throws Exception {
    TestPki.Leaf first = TestPki.leaf(oldCa, "node-a.example");
    MemberTls tls = mounted(first, oldCa);
    RecordingLease lease = new RecordingLease();
    try (TrustConfirmations confirmations = reporter(lease, tls).start()) {
      await(() -> lease.writes().size() == 1);
      assertThat(lease.writes().get(0).confirmation())
          .isEqualTo(Confirmation.of(List.of(oldCa.certificate()), List.of(first.certificate())));
      assertThat(lease.writes().get(0).holderIdentity()).isEqualTo("pod-a");
      Thread.sleep(FAST.multipliedBy(25).toMillis()); // about 25 polls
      assertThat(lease.writes()).hasSize(1);

      // the operator publishes the new CA beside the old one
      TestPki.mount(trustDir(), Map.of("ca.crt", TestPki.bundle(oldCa, newCa)));
      await(() -> lease.writes().size() == 2);
      assertThat(lease.writes().get(1).confirmation())
          .isEqualTo(Confirmation.of(List.of(oldCa.certificate(), newCa.certificate()), List.of(first.certificate())));

      // then reissues the member under it
      TestPki.Leaf second = TestPki.leaf(newCa, "node-a.example");
      TestPki.mount(tlsDir(), TestPki.tlsFiles(second));
      await(() -> lease.writes().size() == 3);
      assertThat(lease.writes().get(2).confirmation().leafSerials()).containsExactly(second.serial().toString(16));
      Thread.sleep(FAST.multipliedBy(25).toMillis());
      assertThat(lease.writes()).hasSize(3);
      assertThat(lease.reads()).isEqualTo(1);
      assertThat(confirmations.status().writes()).isEqualTo(3);
      assertThat(confirmations.status().confirmed()).isEqualTo(lease.writes().get(2).confirmation());
      assertThat(confirmations.status().lastError()).isNull();
    }
    assertThat(logged).filteredOn(l -> l.startsWith("confirmed on Lease test/node-a-trust")).hasSize(3);
    assertThat(String.join("\n", logged)).doesNotContain("PRIVATE KEY").doesNotContain(first.keyPem());
  }

  @Test
  void aRestartedMemberWhoseLeaseHoldsWhatItLoadedWritesNothing() throws Exception {
    TestPki.Leaf leaf = TestPki.leaf(oldCa, "node-a.example");
    MemberTls tls = mounted(leaf, oldCa, newCa);
    RecordingLease lease = new RecordingLease(
        Confirmation.of(List.of(newCa.certificate(), oldCa.certificate()), List.of(leaf.certificate())));
    try (TrustConfirmations confirmations = reporter(lease, tls).start()) {
      await(() -> lease.reads() == 1);
      Thread.sleep(FAST.multipliedBy(25).toMillis());
      assertThat(lease.attempts()).isZero();
      assertThat(confirmations.status().confirmed()).isNotNull();
      assertThat(confirmations.status().writes()).isZero();
    }
    assertThat(logged).isEmpty();

    // one whose Lease holds an older confirmation writes once
    RecordingLease stale = new RecordingLease(Confirmation.of(List.of(oldCa.certificate()), List.of(leaf.certificate())));
    try (TrustConfirmations confirmations = reporter(stale, tls).start()) {
      await(() -> stale.writes().size() == 1);
      Thread.sleep(FAST.multipliedBy(10).toMillis());
      assertThat(stale.attempts()).isEqualTo(1);
    }
  }

  @Test
  void aFailedWriteIsLoggedAndTriedAgainAfter1sDoublingTo30s() {
    TestPki.Leaf leaf = TestPki.leaf(oldCa, "node-a.example");
    MemberTls tls = mounted(leaf, oldCa);
    RecordingLease lease = new RecordingLease();
    lease.failNext(2);
    AtomicLong nanos = new AtomicLong(1_000_000_000L);
    TrustConfirmations confirmations = new TrustConfirmations(tls.trustManager()::trustedCertificates,
        () -> List.of(tls.keyManager().certificateChain().get(0)), lease, "pod-a", FAST, logged::add,
        Clock.systemUTC(), nanos::get);

    assertThat(confirmations.pollOnce()).isFalse();
    assertThat(lease.attempts()).isEqualTo(1);
    assertThat(logged).singleElement().asString().contains("HTTP 500").contains("next try in 1 s");
    nanos.addAndGet(Duration.ofMillis(900).toNanos());
    confirmations.pollOnce();
    assertThat(lease.attempts()).isEqualTo(1); // still backing off
    nanos.addAndGet(Duration.ofMillis(100).toNanos());
    confirmations.pollOnce();
    assertThat(lease.attempts()).isEqualTo(2);
    assertThat(logged).hasSize(2).last().asString().contains("failure 2 in a row, next try in 2 s");
    nanos.addAndGet(Duration.ofMillis(1999).toNanos());
    confirmations.pollOnce();
    assertThat(lease.attempts()).isEqualTo(2);
    nanos.addAndGet(Duration.ofMillis(1).toNanos());
    assertThat(confirmations.pollOnce()).isTrue();
    assertThat(lease.writes()).hasSize(1);
    assertThat(confirmations.status().failures()).isEqualTo(2);
    assertThat(confirmations.status().lastError()).isNull();
    for (int i = 0; i < 10; i++) {
      confirmations.pollOnce();
    }
    assertThat(lease.attempts()).isEqualTo(3);

    assertThat(List.of(1, 2, 3, 4, 5, 6, 7, 100).stream().map(TrustConfirmations::backoff).map(Duration::toSeconds))
        .containsExactly(1L, 2L, 4L, 8L, 16L, 30L, 30L, 30L);
  }

  @Test
  void theLeaseIsReadAgainAfterFiveMinutesAndConfirmedAnewIfItWasCleared() {
    TestPki.Leaf leaf = TestPki.leaf(oldCa, "node-a.example");
    MemberTls tls = mounted(leaf, oldCa);
    RecordingLease lease = new RecordingLease();
    AtomicLong nanos = new AtomicLong();
    TrustConfirmations confirmations = new TrustConfirmations(tls.trustManager()::trustedCertificates,
        () -> List.of(tls.keyManager().certificateChain().get(0)), lease, "pod-a", FAST, logged::add,
        Clock.systemUTC(), nanos::get);
    assertThat(confirmations.pollOnce()).isTrue();
    for (int i = 0; i < 100; i++) {
      nanos.addAndGet(Duration.ofSeconds(1).toNanos());
      confirmations.pollOnce();
    }
    assertThat(lease.reads()).isEqualTo(1);
    // the operator recreates the Lease (empty) meanwhile
    lease.replace(null);
    nanos.addAndGet(TrustConfirmations.REREAD.toNanos());
    assertThat(confirmations.pollOnce()).isTrue();
    assertThat(lease.reads()).isEqualTo(2);
    assertThat(lease.writes()).hasSize(2);
    // read again, unchanged: a GET and no write
    nanos.addAndGet(TrustConfirmations.REREAD.toNanos());
    assertThat(confirmations.pollOnce()).isFalse();
    assertThat(lease.reads()).isEqualTo(3);
    assertThat(lease.attempts()).isEqualTo(2);
  }

  @Test
  void nothingIsReportedUntilTheFilesLoad() {
    TestPki.mount(trustDir(), Map.of("ca.crt", TestPki.bundle(oldCa)));
    MemberTls tls = MemberTls.open(tlsDir(), trustDir(), false);
    RecordingLease lease = new RecordingLease();
    TrustConfirmations confirmations = reporter(lease, tls);
    assertThat(confirmations.confirmNow()).isFalse();
    assertThat(confirmations.confirmNow()).isFalse();
    assertThat(lease.reads()).isZero();
    assertThat(lease.attempts()).isZero();
    assertThat(confirmations.status().notLoaded()).contains("tls.crt");
    assertThat(logged).singleElement().asString().startsWith("nothing to confirm yet");

    TestPki.Leaf leaf = TestPki.leaf(oldCa, "node-a.example");
    TestPki.mount(tlsDir(), TestPki.tlsFiles(leaf));
    assertThat(confirmations.confirmNow()).isTrue();
    assertThat(lease.writes()).singleElement().extracting(RecordingLease.Write::confirmation)
        .isEqualTo(Confirmation.of(List.of(oldCa.certificate()), List.of(leaf.certificate())));
    assertThat(confirmations.status().notLoaded()).isNull();
  }

  @Test
  void aMemberWithTwoIdentitiesReportsBothLeavesAndOnlyTheCasBothTrust() {
    TestPki.Leaf peer = TestPki.leaf(oldCa, "node-a.example");
    TestPki.Leaf client = TestPki.leaf(oldCa, "node-a-client.example");
    MemberTls peerTls = mounted(peer, oldCa, newCa);
    TestPki.mount(dir.resolve("client-tls"), TestPki.tlsFiles(client));
    TestPki.mount(dir.resolve("client-trust"), Map.of("ca.crt", TestPki.bundle(oldCa)));
    MemberTls clientTls = MemberTls.open(dir.resolve("client-tls"), dir.resolve("client-trust"), true);
    RecordingLease lease = new RecordingLease();

    TrustConfirmations.forMember(lease, "pod-a", FAST, logged::add, peerTls, clientTls).confirmNow();

    assertThat(lease.writes()).singleElement().extracting(RecordingLease.Write::confirmation)
        .isEqualTo(Confirmation.of(List.of(oldCa.certificate()), List.of(peer.certificate(), client.certificate())));
  }

  @Test
  void theSidecarReportsTheMountedCertificatesWithoutAKey() {
    TestPki.Leaf peer = TestPki.leaf(oldCa, "node-a.example");
    TestPki.Leaf client = TestPki.leaf(newCa, "node-a-client.example");
    // certificates only: a sidecar may mount tls.crt without tls.key
    TestPki.mount(dir.resolve("peer"), Map.of("tls.crt", peer.certificatePem() + TestPki.bundle(oldCa)));
    TestPki.mount(dir.resolve("client"), Map.of("tls.crt", client.certificatePem()));
    TestPki.mount(trustDir(), Map.of("ca.crt", TestPki.bundle(oldCa, newCa)));
    ConfirmSidecar.Settings settings = ConfirmSidecar.Settings.fromEnvironment(Map.of(
        "MEMBER_NAME", "node-a", "HOSTNAME", "node-a-0", "TRUST_DIR", trustDir().toString(),
        "TLS_DIRS", dir.resolve("peer") + ", " + dir.resolve("client"), "CONFIRM_INTERVAL_MS", "20"));
    assertThat(settings.leaseName()).isEqualTo("node-a-trust");
    assertThat(settings.holderIdentity()).isEqualTo("node-a-0");
    RecordingLease lease = new RecordingLease();
    TrustConfirmations sidecar = ConfirmSidecar.reporter(settings, lease, logged::add);

    assertThat(sidecar.confirmNow()).isTrue();
    assertThat(sidecar.confirmNow()).isFalse();
    X509Certificate[] leaves = {peer.certificate(), client.certificate()};
    assertThat(lease.writes()).singleElement().satisfies(w -> {
      assertThat(w.confirmation()).isEqualTo(
          Confirmation.of(List.of(oldCa.certificate(), newCa.certificate()), List.of(leaves)));
      assertThat(w.holderIdentity()).isEqualTo("node-a-0");
    });

    TestPki.mount(trustDir(), Map.of("ca.crt", TestPki.bundle(newCa)));
    assertThat(sidecar.confirmNow()).isTrue();
    assertThat(lease.writes()).hasSize(2).last().extracting(w -> w.confirmation().trustedCas())
        .isEqualTo(List.of(Fingerprints.digest(newCa.certificate())));
  }

  @Test
  void theSidecarsSettingsNameWhatIsMissing() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfirmSidecar.Settings.fromEnvironment(
        Map.of("HOSTNAME", "p"))).hasMessageContaining("TRUST_LEASE");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfirmSidecar.Settings.fromEnvironment(
        Map.of("TRUST_LEASE", "x-trust"))).hasMessageContaining("POD_NAME");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfirmSidecar.Settings.fromEnvironment(
        Map.of("TRUST_LEASE", "x-trust", "POD_NAME", "p", "CONFIRM_INTERVAL_MS", "0")))
        .hasMessageContaining("CONFIRM_INTERVAL_MS");
    ConfirmSidecar.Settings defaults = ConfirmSidecar.Settings.fromEnvironment(
        Map.of("TRUST_LEASE", "x-trust", "POD_NAME", "p", "HOSTNAME", "h"));
    assertThat(defaults).isEqualTo(new ConfirmSidecar.Settings("x-trust", List.of(Path.of("/etc/array/tls")),
        Path.of("/etc/array/trust"), Duration.ofSeconds(1), "p"));
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not reached within 10 s");
      }
      Thread.sleep(10);
    }
  }
}
