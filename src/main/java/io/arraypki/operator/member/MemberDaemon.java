package io.arraypki.operator.member;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.trust.Confirmation;
import io.arraypki.operator.trust.KubernetesLease;
import io.arraypki.operator.trust.LeaseWriter;
import io.arraypki.operator.trust.MemberTls;
import io.arraypki.operator.trust.TrustConfirmations;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * The daemon an array member's pod runs: a mutual-TLS server over the member's mounted files, a
 * client that calls every peer every CALL_INTERVAL_MS with a full handshake, and the counts of
 * both on a plain HTTP port. Rotation tests read its counts to prove that no call failed, so it
 * counts every failed call, whatever the reason, and never retries one.
 *
 * <p>Protocol: the client sends {@code PING <caller>}, the server answers
 * {@code PONG <member> <serial of the leaf it served, hex>} and closes. A call succeeds only when
 * the PONG names the peer that was meant.
 *
 * <p>Run as {@code java -cp arraypki-operator.jar io.arraypki.operator.member.MemberDaemon}; the
 * environment is read by {@link Settings#fromEnvironment}. It logs plain lines on stdout, never
 * key material (it never reads a key: the member library does).
 */
public final class MemberDaemon implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration FAILURE_LOG_INTERVAL = Duration.ofSeconds(5);
  private static final int MAX_LINE = 512;

  private final Settings settings;
  private final Supplier<List<Peer>> peers;
  private final String peerSource;
  private final Consumer<String> out;
  private final Clock clock = Clock.systemUTC();
  private final MemberTls tls;
  private final Stats stats;
  /** Per peer: when a failure was last logged, and how many were not logged since. */
  private final Map<String, long[]> failureLog = new ConcurrentHashMap<>();
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, daemons("member-timer"));
  private final ExecutorService callers = Executors.newFixedThreadPool(8, daemons("member-call"));
  private final ExecutorService handlers = Executors.newFixedThreadPool(16, daemons("member-serve"));
  private final ExecutorService statsThreads = Executors.newFixedThreadPool(2, daemons("member-stats"));
  private volatile boolean running = true;
  private volatile String lastMaterial = "";
  private SSLServerSocket listener;
  private HttpServer http;
  private KubernetesPeers kubernetesPeers;
  /** Confirms on the trust Lease what the daemon loaded; null when TRUST_LEASE (or its default) is off. */
  private final LeaseWriter trustLease;
  private volatile TrustConfirmations confirmations;

  /** A daemon over its environment's settings: peers from PEERS, or from the Kubernetes API. */
  public MemberDaemon(Settings settings) {
    this(settings, null, line -> System.out.println(line));
  }

  /**
   * A daemon with peers of the caller's choosing (tests: the ports of the other daemons are known
   * only once they listen), logging to {@code out}.
   *
   * @param peers null: from the settings (PEERS, or PEER_SELECTOR through the Kubernetes API)
   */
  public MemberDaemon(Settings settings, Supplier<List<Peer>> peers, Consumer<String> out) {
    this(settings, peers, out, null);
  }

  /**
   * A daemon that confirms its trust on {@code trustLease} (tests: a Lease of the local control
   * plane, with a token of their own).
   *
   * @param trustLease null: the pod's Lease named by the settings, with the pod's ServiceAccount
   */
  public MemberDaemon(Settings settings, Supplier<List<Peer>> peers, Consumer<String> out, LeaseWriter trustLease) {
    this.settings = settings;
    this.trustLease = trustLease != null ? trustLease
        : settings.trustLease() == null ? null : KubernetesLease.inCluster(settings.trustLease());
    this.out = out;
    this.stats = new Stats(settings.memberName(), Instant.now(clock));
    // the peer context (not privileged) for both ends: members accept every member of the array
    this.tls = MemberTls.open(settings.tlsDirectory(), settings.trustDirectory(), false);
    if (peers != null) {
      this.peers = peers;
      this.peerSource = "given by the caller";
    } else if (settings.peerSelector() != null) {
      this.kubernetesPeers = new KubernetesPeers(settings, this::log);
      this.peers = kubernetesPeers;
      this.peerSource = settings.describePeers();
    } else {
      List<Peer> fixed = settings.peers();
      this.peers = () -> fixed;
      this.peerSource = settings.describePeers();
    }
  }

  public static void main(String[] args) throws Exception {
    // as the operator logs: Fabric8 only its warnings, text lines unless LOG_FORMAT=json
    io.arraypki.operator.ops.logging.OperatorLogging.useProcessLifetimeLogManager();
    io.arraypki.operator.ops.logging.OperatorLogging.configureOperator(System.getenv());
    Settings settings;
    try {
      settings = Settings.fromEnvironment(System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("member: " + e.getMessage());
      System.exit(2);
      return;
    }
    MemberDaemon daemon;
    try {
      daemon = new MemberDaemon(settings);
    } catch (IllegalStateException e) {
      // TRUST_LEASE without the pod's credentials to write it
      System.err.println("member: " + e.getMessage());
      System.exit(2);
      return;
    }
    // SIGTERM (a container stop): stop the loops; all other threads are daemon threads
    Runtime.getRuntime().addShutdownHook(new Thread(daemon::close, "member-shutdown"));
    daemon.start();
    daemon.stopped.await();
  }

  /** Binds both ports (so that a port in use fails here), then serves and calls once the files load. */
  public void start() throws IOException {
    log("starting: " + settings.describe() + ", peers " + peerSource);
    listener = (SSLServerSocket) tls.sslContext().getServerSocketFactory().createServerSocket(settings.listenPort(), 50);
    listener.setNeedClientAuth(true);
    http = HttpServer.create(new InetSocketAddress(settings.statsPort()), 0);
    http.createContext("/", this::serveHttp);
    http.setExecutor(statsThreads);
    http.start();
    log("listening for mutual TLS on " + listener.getLocalPort() + ", stats on " + http.getAddress().getPort());
    if (kubernetesPeers != null) {
      kubernetesPeers.start(timers);
    }
    timers.scheduleAtFixedRate(() -> log(stats.summary()), 10, 10, TimeUnit.SECONDS);
    if (trustLease != null) {
      String holder = holderIdentity();
      confirmations = TrustConfirmations.forMember(trustLease, holder, TrustConfirmations.DEFAULT_INTERVAL,
          line -> log("trust: " + line), tls).start();
    }
    daemons("member-main").newThread(this::run).start();
  }

  public int listenPort() {
    return listener.getLocalPort();
  }

  public int statsPort() {
    return http.getAddress().getPort();
  }

  /** Waits for the member's own files, then accepts on this thread and calls on another. */
  private void run() {
    long waitingSince = System.nanoTime();
    long lastWaitLog = 0;
    while (running) {
      String problem = materialProblem();
      if (problem == null) {
        break;
      }
      // a pod may start before its Secret or the trust ConfigMap is complete: keep trying
      if (lastWaitLog == 0 || System.nanoTime() - lastWaitLog > TimeUnit.SECONDS.toNanos(10)) {
        log("waiting for the mounted files (" + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - waitingSince)
            + " s): " + problem);
        lastWaitLog = System.nanoTime();
      }
      sleep(Duration.ofSeconds(1));
    }
    if (!running) {
      return;
    }
    logMaterial();
    daemons("member-calls").newThread(this::callLoop).start();
    acceptLoop();
  }

  /** Why the member's own files do not load yet, or null once they do. */
  private String materialProblem() {
    try {
      tls.keyManager().certificateChain();
      tls.trustManager().trustedCertificates();
      return null;
    } catch (RuntimeException e) {
      return describe(e);
    }
  }

  /** Logs what the member serves and trusts, whenever it changes (a rotation shows up in the log). */
  private void logMaterial() {
    Map<String, Object> material = material();
    String text = material.get("serving") instanceof Map<?, ?> serving && serving.containsKey("serial")
        ? "serving leaf " + serving.get("serial") + " issued by " + serving.get("issuer") + " until "
            + serving.get("notAfter")
        : "serving nothing: " + material.get("serving");
    text += "; trusting " + material.get("trusted");
    if (!text.equals(lastMaterial)) {
      lastMaterial = text;
      log(text);
    }
  }

  private void acceptLoop() {
    while (running) {
      Socket socket;
      try {
        socket = listener.accept();
      } catch (IOException e) {
        if (running) {
          log("cannot accept: " + describe(e));
          sleep(Duration.ofMillis(100));
        }
        continue;
      }
      try {
        handlers.execute(() -> answer((SSLSocket) socket));
      } catch (RejectedExecutionException e) {
        closeQuietly(socket); // stopping
      }
    }
  }

  /** One inbound call: the handshake (counted when it fails), PING, PONG. */
  private void answer(SSLSocket socket) {
    try (socket) {
      socket.setSoTimeout((int) settings.callTimeout().toMillis());
      try {
        socket.startHandshake();
      } catch (IOException e) {
        String from = socket.getInetAddress().getHostAddress();
        stats.handshakeServerFailure(from, describe(e), Instant.now(clock));
        logFailure("inbound", "inbound handshake from " + from + " failed: " + describe(e));
        return;
      }
      String ping = readLine(socket.getInputStream());
      if (ping == null || !ping.startsWith("PING ")) {
        return; // not our protocol: the caller, if it is a member, counts its failure
      }
      X509Certificate served = (X509Certificate) socket.getSession().getLocalCertificates()[0];
      OutputStream o = socket.getOutputStream();
      o.write(("PONG " + settings.memberName() + " " + served.getSerialNumber().toString(16) + "\n")
          .getBytes(StandardCharsets.US_ASCII));
      o.flush();
    } catch (IOException e) {
      // the caller counts the failure of its call
    }
  }

  /**
   * Every interval, a call to each peer that has none in flight: a peer that hangs until the
   * timeout is called less often, but delays no call to the others.
   */
  private void callLoop() {
    while (running) {
      long started = System.nanoTime();
      for (Peer peer : peers.get()) {
        if (inFlight.add(peer.name())) {
          try {
            callers.execute(() -> {
              try {
                call(peer);
              } finally {
                inFlight.remove(peer.name());
              }
            });
          } catch (RejectedExecutionException e) {
            return; // stopping
          }
        }
      }
      logMaterial();
      sleep(settings.callInterval().minusNanos(System.nanoTime() - started));
    }
  }

  /** One call to a peer, counted once, as a success or a failure. */
  private void call(Peer peer) {
    String[] step = {"connecting"};
    Stats.Presented presented;
    try {
      presented = exchange(peer, step);
    } catch (Exception e) {
      if (!running) {
        return; // stopping: not counted (see Stats.stop)
      }
      // the step tells a refusal seen after the handshake (TLS 1.3: the server checks the
      // client's certificate after the client is done) from one seen in it
      String error = describe(e) + " (" + step[0] + ")";
      stats.failure(peer.name(), error, Instant.now(clock));
      logFailure(peer.name(), "mutual TLS call to " + peer + " failed: " + error);
      return;
    }
    if (stats.success(peer.name(), presented)) {
      log("mutual TLS call to " + peer + " ok: peer leaf " + presented.serial() + " issued by " + presented.issuer());
    }
  }

  /**
   * A new TCP connection, a full handshake (the library's contexts never resume) with SNI and
   * hostname verification against the peer's DNS name, not the IP it is reached at; PING, PONG.
   * {@code step[0]} says how far it got.
   */
  private Stats.Presented exchange(Peer peer, String[] step) throws IOException {
    int timeout = (int) settings.callTimeout().toMillis();
    try (Socket raw = new Socket()) {
      raw.connect(new InetSocketAddress(peer.host(), peer.port()), timeout);
      raw.setSoTimeout(timeout);
      step[0] = "in the handshake";
      try (SSLSocket socket = (SSLSocket) tls.sslContext().getSocketFactory()
          .createSocket(raw, peer.dnsName(), peer.port(), true)) {
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        parameters.setServerNames(List.of(new SNIHostName(peer.dnsName())));
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        step[0] = "sending PING after the handshake";
        OutputStream o = socket.getOutputStream();
        o.write(("PING " + settings.memberName() + "\n").getBytes(StandardCharsets.US_ASCII));
        o.flush();
        step[0] = "reading PONG after the handshake";
        String pong = readLine(socket.getInputStream());
        if (pong == null) {
          throw new ProtocolException("the peer closed the connection without a PONG");
        }
        String[] words = pong.split(" ");
        if (words.length != 3 || !words[0].equals("PONG")) {
          throw new ProtocolException("the peer's answer is not a PONG");
        }
        if (!words[1].equals(peer.name())) {
          throw new ProtocolException("PONG from " + words[1] + " where " + peer.name() + " was called");
        }
        step[0] = "after the PONG";
        return presented(List.of(socket.getSession().getPeerCertificates()).stream()
            .map(X509Certificate.class::cast).toList());
      }
    }
  }

  /** The leaf's serial and issuer, and the fingerprint of the certificate it chained to if it is known. */
  private Stats.Presented presented(List<X509Certificate> chain) {
    X509Certificate leaf = chain.get(0);
    List<X509Certificate> issuers = new ArrayList<>(chain.subList(1, chain.size()));
    issuers.addAll(tls.trustManager().trustedCertificates());
    String issuerFingerprint = null;
    for (X509Certificate issuer : issuers) {
      if (issuer.getSubjectX500Principal().equals(leaf.getIssuerX500Principal()) && signedBy(leaf, issuer)) {
        issuerFingerprint = Fingerprints.fingerprint(issuer);
        break;
      }
    }
    return new Stats.Presented(leaf.getSerialNumber().toString(16), leaf.getIssuerX500Principal().getName(),
        issuerFingerprint);
  }

  private static boolean signedBy(X509Certificate leaf, X509Certificate issuer) {
    try {
      leaf.verify(issuer.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** What the member serves and trusts now, for /stats and the log. */
  private Map<String, Object> material() {
    Map<String, Object> m = new LinkedHashMap<>();
    try {
      X509Certificate leaf = tls.keyManager().certificateChain().get(0);
      Map<String, Object> serving = new LinkedHashMap<>();
      serving.put("serial", leaf.getSerialNumber().toString(16));
      serving.put("issuer", leaf.getIssuerX500Principal().getName());
      serving.put("notAfter", leaf.getNotAfter().toInstant().toString());
      m.put("serving", serving);
    } catch (RuntimeException e) {
      m.put("serving", Map.of("error", describe(e)));
    }
    try {
      m.put("trusted", tls.trustManager().trustedCertificates().stream().map(Fingerprints::fingerprint).toList());
    } catch (RuntimeException e) {
      m.put("trusted", List.of());
    }
    return m;
  }

  /** The counts as /stats serves them. */
  public Map<String, Object> statsDocument() {
    Map<String, Object> document = stats.snapshot();
    document.putAll(material());
    document.put("trustConfirmation", confirmationDocument());
    return document;
  }

  /** The pod's name for the Lease's holderIdentity; outside a pod (tests), the member's name. */
  private String holderIdentity() {
    try {
      return TrustConfirmations.holderFromEnvironment(System.getenv());
    } catch (IllegalArgumentException e) {
      return settings.memberName();
    }
  }

  /** What the daemon confirmed on its trust Lease: digests, serials and counts, never a key. */
  private Map<String, Object> confirmationDocument() {
    if (confirmations == null) {
      return null;
    }
    TrustConfirmations.Status status = confirmations.status();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("lease", status.lease());
    Confirmation confirmed = status.confirmed();
    m.put("trustedCas", confirmed == null ? null : confirmed.trustedCas());
    m.put("leafSerials", confirmed == null ? null : confirmed.leafSerials());
    m.put("confirmedAt", status.confirmedAt() == null ? null : status.confirmedAt().toString());
    m.put("writes", status.writes());
    m.put("failures", status.failures());
    m.put("lastError", status.lastError());
    m.put("notLoaded", status.notLoaded());
    return m;
  }

  private void serveHttp(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      int status;
      byte[] body;
      String type = "text/plain; charset=utf-8";
      if (!"GET".equals(exchange.getRequestMethod())) {
        status = 405;
        body = "GET only\n".getBytes(StandardCharsets.UTF_8);
      } else if (path.equals("/healthz")) {
        status = 200;
        body = "ok".getBytes(StandardCharsets.UTF_8);
      } else if (path.equals("/stats")) {
        status = 200;
        body = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(statsDocument());
        type = "application/json";
      } else {
        status = 404;
        body = "not found\n".getBytes(StandardCharsets.UTF_8);
      }
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(status, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  /** Logs a failure at most once per {@link #FAILURE_LOG_INTERVAL} per peer; each is counted anyway. */
  private void logFailure(String key, String line) {
    long now = System.nanoTime();
    long[] state = failureLog.computeIfAbsent(key, k -> new long[] {now - FAILURE_LOG_INTERVAL.toNanos() - 1, 0});
    synchronized (state) {
      if (now - state[0] < FAILURE_LOG_INTERVAL.toNanos()) {
        state[1]++;
        return;
      }
      long suppressed = state[1];
      state[0] = now;
      state[1] = 0;
      log(line + (suppressed == 0 ? "" : " (and " + suppressed + " more not logged since the last line)"));
    }
  }

  private void log(String line) {
    out.accept("member " + settings.memberName() + ": " + line);
  }

  /**
   * The root cause, as class and message (e.g. {@code SunCertPathBuilderException: unable to find
   * valid certification path}), and the outer message when it says more than the root's.
   */
  static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String text = root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    if (root != e && e.getMessage() != null && !e.getMessage().contains(String.valueOf(root.getMessage()))) {
      text += " (via " + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
    }
    return text.length() > 600 ? text.substring(0, 600) + "..." : text;
  }

  /** One line of ASCII up to a newline (not included), at most {@link #MAX_LINE} bytes; null at once at EOF. */
  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      if (line.size() >= MAX_LINE) {
        throw new ProtocolException("a line longer than " + MAX_LINE + " bytes");
      }
      line.write(b);
    }
    return b == -1 && line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
  }

  private void sleep(Duration d) {
    if (d.isNegative() || d.isZero()) {
      return;
    }
    try {
      Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  private static ThreadFactory daemons(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Stops serving and calling at once (SIGTERM: the shutdown hook). */
  @Override
  public void close() {
    if (!running) {
      return;
    }
    running = false;
    stats.stop();
    log("stopping: " + stats.summary());
    try {
      if (listener != null) {
        listener.close();
      }
    } catch (IOException e) {
      // closing anyway
    }
    if (http != null) {
      http.stop(0);
    }
    timers.shutdownNow();
    callers.shutdownNow();
    handlers.shutdownNow();
    statsThreads.shutdownNow();
    if (kubernetesPeers != null) {
      kubernetesPeers.close();
    }
    if (confirmations != null) {
      confirmations.close();
    }
    stopped.countDown();
  }
}
