package io.arraypki.operator.member;

import static io.arraypki.operator.trust.TestPki.bundle;
import static io.arraypki.operator.trust.TestPki.crl;
import static io.arraypki.operator.trust.TestPki.mount;
import static io.arraypki.operator.trust.TestPki.tlsFiles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.trust.Confirmation;
import io.arraypki.operator.trust.LeaseWriter;
import io.arraypki.operator.trust.TestPki;
import io.arraypki.operator.trust.TestPki.Leaf;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Member daemons in this JVM, on loopback with ephemeral ports, over files mounted in a temporary
 * directory: their calls, and their counts as /stats serves them over HTTP.
 */
class MemberDaemonTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dir;
  CertificateAuthority ca;
  final List<Member> members = new ArrayList<>();
  /** How every member reaches a member, unless {@link #views} says otherwise for one caller. */
  final Map<String, Peer> endpoints = new ConcurrentHashMap<>();
  /** caller -> the peers it calls, for tests that give one member another view of the array. */
  final Map<String, List<Peer>> views = new ConcurrentHashMap<>();

  record Member(String name, Leaf leaf, Path trust, MemberDaemon daemon, Queue<String> log) {}

  @BeforeEach
  void array() {
    ca = TestPki.ca("sgd CA g1");
  }

  @AfterEach
  void stop() {
    members.forEach(m -> m.daemon().close());
  }

  @Test
  void membersCallEachOtherAndTheirStatsOverHttpShowTheCountsRisingWithNoFailure() throws Exception {
    Member a = start("node-a");
    Member b = start("node-b");
    Member c = start("node-c");

    JsonNode first = awaitStats(a, s -> successes(s, "node-b") >= 2 && successes(s, "node-c") >= 2);
    JsonNode later = awaitStats(a, s -> s.path("successes").asLong() >= first.path("successes").asLong() + 4);

    assertThat(later.path("attempts").asLong()).isGreaterThan(first.path("attempts").asLong());
    for (Member m : List.of(a, b, c)) {
      JsonNode s = awaitStats(m, x -> x.path("peers").size() == 2);
      assertThat(s.path("member").asText()).isEqualTo(m.name());
      assertThat(s.path("failures").asLong()).as(m.name() + " failures").isZero();
      assertThat(s.path("attempts").asLong()).isEqualTo(s.path("successes").asLong());
      assertThat(s.path("recentFailures")).isEmpty();
      assertThat(s.path("handshakeServerFailures").asLong()).isZero();
      assertThat(s.path("recentInboundFailures")).isEmpty();
      assertThat(s.path("serving").path("serial").asText()).isEqualTo(m.leaf().serial().toString(16));
      assertThat(s.path("serving").path("issuer").asText()).isEqualTo("CN=sgd CA g1");
      assertThat(s.path("trusted")).extracting(JsonNode::asText).containsExactly(Fingerprints.fingerprint(ca.certificate()));
      for (Member other : List.of(a, b, c)) {
        if (other != m) {
          JsonNode p = s.path("peers").path(other.name());
          assertThat(p.path("failures").asLong()).isZero();
          assertThat(p.path("lastError").isNull()).isTrue();
          assertThat(p.path("lastPeerSerial").asText()).isEqualTo(other.leaf().serial().toString(16));
          assertThat(p.path("lastPeerIssuer").asText()).isEqualTo("CN=sgd CA g1");
          assertThat(p.path("lastPeerIssuerFingerprint").asText()).isEqualTo(Fingerprints.fingerprint(ca.certificate()));
        }
      }
    }
    HttpResponse<String> health = get(a, "/healthz");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("ok");
    assertThat(get(a, "/stats").body()).doesNotContain("PRIVATE KEY");
    assertThat(a.log()).contains("member node-a: mutual TLS call to node-b (node-b.sgd.example.com at 127.0.0.1:"
        + b.daemon().listenPort() + ") ok: peer leaf " + b.leaf().serial().toString(16) + " issued by CN=sgd CA g1");
    assertThat(a.log()).filteredOn(l -> l.contains("mutual TLS call to node-b")).hasSize(1);
    assertThat(a.log()).allSatisfy(l -> assertThat(l).startsWith("member node-a: ").doesNotContain("PRIVATE KEY"));
  }

  @Test
  void aMemberTrustingAnUnrelatedCaMakesTheCallsToItAndFromItFailAndTheyAreCountedWithTheCertificateError()
      throws Exception {
    Member a = start("node-a");
    Member b = start("node-b");
    Member c = start("node-c");
    awaitStats(a, s -> successes(s, "node-c") >= 1);

    CertificateAuthority unrelated = TestPki.ca("unrelated CA");
    mount(c.trust(), Map.of("ca.crt", bundle(unrelated), "crl.pem", crl(ca)));

    // c refuses a's certificate: a hears c's alert, or, when c's reset (c closes with a's last
    // handshake messages unread) comes first, a broken connection; each is counted
    JsonNode s = awaitStats(a, x -> x.path("peers").path("node-c").path("failures").asLong() >= 2
        && failures(x, "node-c").anyMatch(e -> e.contains("Received fatal alert: certificate_unknown")));
    assertThat(s.path("failures").asLong()).isPositive();
    assertThat(s.path("attempts").asLong()).isEqualTo(s.path("successes").asLong() + s.path("failures").asLong());
    assertThat(s.path("recentFailures")).allSatisfy(f -> {
      assertThat(f.path("peer").asText()).isEqualTo("node-c");
      assertThat(f.path("time").asText()).isNotEmpty();
    });
    assertThat(s.path("peers").path("node-b").path("failures").asLong()).as("a -> b still works").isZero();

    JsonNode fromC = awaitStats(c, x -> x.path("peers").path("node-a").path("failures").asLong() >= 1);
    assertThat(fromC.path("peers").path("node-a").path("lastError").asText())
        .isEqualTo("SunCertPathBuilderException: unable to find valid certification path to requested target"
            + " (in the handshake)");
    assertThat(fromC.path("handshakeServerFailures").asLong()).isPositive();
    // c's side of the calls it refused, with its reason: what a caller that saw only a reset lacks
    assertThat(fromC.path("recentInboundFailures")).as("inbound failures as c saw them").anySatisfy(f -> {
      assertThat(f.path("from").asText()).isEqualTo("127.0.0.1");
      assertThat(f.path("error").asText()).contains("unable to find valid certification path");
    });
    assertThat(fromC.path("trusted")).extracting(JsonNode::asText)
        .containsExactly(Fingerprints.fingerprint(unrelated.certificate()));
    assertThat(a.log()).anySatisfy(l -> assertThat(l).startsWith("member node-a: mutual TLS call to node-c")
        .contains("failed: "));
  }

  @Test
  void aPeerWhoseCertificateNamesAnotherDnsNameIsRefused() throws Exception {
    Member a = start("node-a");
    Member b = start("node-b");
    Member c = start("node-c", TestPki.leaf(ca, "node-x.elsewhere.example.com"));
    // b is told the name c's certificate carries; a is told node-c.sgd.example.com
    views.put("node-b", List.of(endpoints.get("node-a"),
        new Peer("node-c", "node-x.elsewhere.example.com", "127.0.0.1", c.daemon().listenPort())));

    JsonNode fromA = awaitStats(a, s -> s.path("peers").path("node-c").path("failures").asLong() >= 2);
    assertThat(fromA.path("peers").path("node-c").path("successes").asLong()).isZero();
    assertThat(fromA.path("peers").path("node-c").path("lastError").asText())
        .isEqualTo("CertificateException: No subject alternative DNS name matching node-c.sgd.example.com found."
            + " (in the handshake)");
    JsonNode fromB = awaitStats(b, s -> successes(s, "node-c") >= 2);
    assertThat(fromB.path("peers").path("node-c").path("lastPeerSerial").asText())
        .isEqualTo(c.leaf().serial().toString(16));
  }

  @Test
  void aPongFromAnotherMemberThanTheOneCalledIsAFailure() throws Exception {
    Member a = start("node-a");
    Member b = start("node-b");
    views.put("node-a", List.of(endpoints.get("node-b"),
        new Peer("node-c", "node-b.sgd.example.com", "127.0.0.1", b.daemon().listenPort())));

    JsonNode s = awaitStats(a, x -> x.path("peers").path("node-c").path("failures").asLong() >= 2);
    assertThat(s.path("peers").path("node-c").path("lastError").asText())
        .contains("PONG from node-b where node-c was called");
    assertThat(s.path("peers").path("node-b").path("failures").asLong()).isZero();
  }

  @Test
  void aMemberStartedBeforeItsFilesAreMountedWaitsForThemAndThenServesAndCalls() throws Exception {
    Member a = start("node-a");
    Leaf late = TestPki.leaf(ca, "node-b.sgd.example.com");
    Path tls = dir.resolve("node-b-tls");
    Path trust = dir.resolve("node-b-trust");
    mount(tls, Map.of());
    mount(trust, Map.of());
    Member b = start("node-b", late, tls, trust);
    JsonNode waiting = stats(b);
    assertThat(waiting.path("serving").path("error").asText()).contains("not mounted");
    // the daemon logs from its own thread: the line may follow the stats answer by a moment
    Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(b.log()).anySatisfy(l -> assertThat(l).contains("waiting for the mounted files")));

    mount(tls, tlsFiles(late));
    mount(trust, Map.of("ca.crt", bundle(ca)));

    awaitStats(b, s -> successes(s, "node-a") >= 1);
    awaitStats(a, s -> successes(s, "node-b") >= 1);
    assertThat(stats(b).path("serving").path("serial").asText()).isEqualTo(late.serial().toString(16));
  }

  @Test
  void closingStopsServingAndCallingAtOnce() throws Exception {
    Member a = start("node-a");
    Member b = start("node-b");
    awaitStats(a, s -> successes(s, "node-b") >= 1);

    int statsPort = a.daemon().statsPort();
    long started = System.nanoTime();
    a.daemon().close();
    // HttpServer.stop waits for its dispatcher, which polls once a second
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));

    long attempts = ((Number) a.daemon().statsDocument().get("attempts")).longValue();
    // a's port is closed: b's calls to it fail (probed through b, not with a socket of this test,
    // which could connect to itself once the port is free: a loopback self-connect)
    awaitStats(b, s -> s.path("peers").path("node-a").path("failures").asLong() >= 1);
    assertThatThrownBy(() -> get(statsPort, "/healthz")).isInstanceOf(IOException.class);
    Thread.sleep(600);
    assertThat(((Number) a.daemon().statsDocument().get("attempts")).longValue()).isEqualTo(attempts);
    assertThat(a.log()).anySatisfy(l -> assertThat(l).startsWith("member node-a: stopping: calls "));
  }

  @Test
  void aDaemonWithATrustLeaseConfirmsEachChangeOnceAndShowsItInItsStats() throws Exception {
    Leaf leaf = TestPki.leaf(ca, "node-a.sgd.example.com");
    Path tls = mount(dir.resolve("node-a-tls"), tlsFiles(leaf));
    Path trust = mount(dir.resolve("node-a-trust"), Map.of("ca.crt", bundle(ca)));
    List<Confirmation> written = new java.util.concurrent.CopyOnWriteArrayList<>();
    LeaseWriter lease = new LeaseWriter() {
      @Override
      public Confirmation read() {
        return null; // a Lease the operator just created
      }

      @Override
      public void write(Confirmation confirmation, String holderIdentity, java.time.Instant confirmedAt) {
        written.add(confirmation);
      }

      @Override
      public String describe() {
        return "Lease test/node-a-trust";
      }
    };
    Settings settings = new Settings("node-a", tls, trust, 0, 0, Duration.ofMillis(200), Duration.ofSeconds(2),
        List.of(), null, null, "node-a-trust");
    Queue<String> log = new ConcurrentLinkedQueue<>();
    MemberDaemon daemon = new MemberDaemon(settings, List::of, log::add, lease);
    daemon.start();
    Member a = new Member("node-a", leaf, trust, daemon, log);
    members.add(a);

    JsonNode first = awaitStats(a, s -> s.path("trustConfirmation").path("writes").asLong() == 1);
    assertThat(first.path("trustConfirmation").path("lease").asText()).isEqualTo("Lease test/node-a-trust");
    assertThat(first.path("trustConfirmation").path("trustedCas")).extracting(JsonNode::asText)
        .containsExactly(Fingerprints.digest(ca.certificate()));
    assertThat(first.path("trustConfirmation").path("leafSerials")).extracting(JsonNode::asText)
        .containsExactly(leaf.serial().toString(16));
    assertThat(first.path("trustConfirmation").path("lastError").isNull()).isTrue();

    CertificateAuthority next = TestPki.ca("sgd CA g2");
    mount(trust, Map.of("ca.crt", bundle(ca, next)));
    JsonNode second = awaitStats(a, s -> s.path("trustConfirmation").path("writes").asLong() == 2);
    assertThat(second.path("trustConfirmation").path("trustedCas")).hasSize(2);
    Thread.sleep(1500); // a poll a second: nothing more to write
    assertThat(written).hasSize(2);
    assertThat(log).filteredOn(l -> l.startsWith("member node-a: trust: confirmed on Lease test/node-a-trust"))
        .hasSize(2);
    assertThat(get(a, "/stats").body()).doesNotContain("PRIVATE KEY");
  }

  private Member start(String name) throws IOException {
    return start(name, TestPki.leaf(ca, name + ".sgd.example.com"));
  }

  private Member start(String name, Leaf leaf) throws IOException {
    Path tls = mount(dir.resolve(name + "-tls"), tlsFiles(leaf));
    Path trust = mount(dir.resolve(name + "-trust"), Map.of("ca.crt", bundle(ca), "crl.pem", crl(ca)));
    return start(name, leaf, tls, trust);
  }

  private Member start(String name, Leaf leaf, Path tls, Path trust) throws IOException {
    Settings settings = new Settings(name, tls, trust, 0, 0, Duration.ofMillis(200), Duration.ofSeconds(2),
        List.of(), null, null);
    Queue<String> log = new ConcurrentLinkedQueue<>();
    MemberDaemon daemon = new MemberDaemon(settings, () -> peersOf(name), log::add);
    daemon.start();
    Member m = new Member(name, leaf, trust, daemon, log);
    members.add(m);
    endpoints.put(name, new Peer(name, name + ".sgd.example.com", "127.0.0.1", daemon.listenPort()));
    return m;
  }

  private List<Peer> peersOf(String caller) {
    List<Peer> view = views.get(caller);
    if (view != null) {
      return view;
    }
    return endpoints.values().stream().filter(p -> !p.name().equals(caller)).toList();
  }

  private static java.util.stream.Stream<String> failures(JsonNode stats, String peer) {
    return java.util.stream.StreamSupport.stream(stats.path("recentFailures").spliterator(), false)
        .filter(f -> f.path("peer").asText().equals(peer)).map(f -> f.path("error").asText());
  }

  private static long successes(JsonNode stats, String peer) {
    return stats.path("peers").path(peer).path("successes").asLong();
  }

  private static JsonNode awaitStats(Member m, Predicate<JsonNode> condition) {
    return Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
        .until(() -> stats(m), condition::test);
  }

  private static JsonNode stats(Member m) throws Exception {
    HttpResponse<String> response = get(m, "/stats");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    return JSON.readTree(response.body());
  }

  private static HttpResponse<String> get(Member m, String path) throws IOException, InterruptedException {
    return get(m.daemon().statsPort(), path);
  }

  private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
