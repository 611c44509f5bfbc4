package io.arraypki.operator.trust;

import io.arraypki.operator.pki.Fingerprints;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Reports on the member's trust Lease what it has loaded, so that the operator can wait for every
 * member during a CA rotation: the CAs of its ca.crt and the leaf of each identity it serves
 * ({@link Confirmation}). It polls (every second by default) through the managers' getters, which
 * reload changed files, and writes the Lease once each time the confirmation changes; in a steady
 * state it writes nothing. When it starts it reads the Lease first and takes what it holds as
 * already written: a restarted member whose files did not change writes nothing either. It reads
 * the Lease again every five minutes (a GET; a write only if the Lease no longer holds what is
 * loaded, as when the operator recreated it).
 *
 * <p>While the files are missing or do not parse, nothing is reported (a member that loaded
 * nothing confirms nothing). A failed read or write is logged, one line each, and tried again
 * after 1 s, doubling up to 30 s (after 5 minutes when the API says the Lease is missing or not
 * this member's: 404, 403). Log lines name certificates by digest and serial; no key is
 * ever read here.
 *
 * <pre>{@code
 * MemberTls tls = MemberTls.open(Path.of("/etc/array/tls"), Path.of("/etc/array/trust"), false);
 * TrustConfirmations confirmations = TrustConfirmations.forMember(KubernetesLease.inCluster("node-a-trust"), tls);
 * confirmations.start();
 * ...
 * confirmations.close();
 * }</pre>
 */
public final class TrustConfirmations implements AutoCloseable {
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);
  static final Duration FIRST_RETRY = Duration.ofSeconds(1);
  static final Duration LONGEST_RETRY = Duration.ofSeconds(30);
  /**
   * How long what was read or written is taken as what the Lease holds. Then it is read again (a
   * GET, no write): a Lease the operator recreated, or cleared to ask again, is confirmed anew.
   */
  static final Duration REREAD = Duration.ofMinutes(5);

  private final Supplier<? extends List<X509Certificate>> trustedCas;
  private final Supplier<? extends List<X509Certificate>> leaves;
  private final LeaseWriter lease;
  private final String holderIdentity;
  private final Duration interval;
  private final Consumer<String> log;
  private final Clock clock;
  private final LongSupplier nanoTime;
  private final ScheduledExecutorService poller;

  /** One poll at a time, from the poller or confirmNow; it guards the fields below. */
  private final Object polling = new Object();
  private boolean leaseRead;
  private long leaseReadAtNanos;
  /** What the Lease holds, as this reporter read or wrote it; null: no confirmation on it. */
  private Confirmation onLease;
  private Instant writtenAt;
  private long writes;
  private long failures;
  private int consecutiveFailures;
  private long retryAtNanos;
  private String lastError;
  private String notLoaded;
  private volatile boolean closed;
  private boolean started; // guarded by this
  /** What {@link #status} returns, published after each poll that changed it: never blocked by a request. */
  private volatile Status status;

  /**
   * What the reporter has done, for a daemon's stats: no key material, only digests and serials.
   *
   * @param confirmed what the Lease confirms: written by this reporter, or found there at the start; null before
   * @param confirmedAt when this reporter wrote it; null when it wrote nothing yet
   * @param lastError the last failure to read or write the Lease; null once a write succeeded
   * @param notLoaded why the files cannot be loaded now; null when they are
   */
  public record Status(String lease, Confirmation confirmed, Instant confirmedAt, long writes, long failures,
      String lastError, String notLoaded) {}

  /**
   * A reporter over suppliers of the loaded material; a supplier throws (an
   * IllegalStateException, as the managers do) while its files cannot be loaded.
   *
   * @param trustedCas the certificates of the loaded ca.crt
   * @param leaves the leaf of each identity served
   * @param holderIdentity the Lease's holderIdentity: the pod's name ({@link #holderFromEnvironment})
   * @param interval between two polls
   * @param log where plain lines go: one per confirmation written, one per failure
   */
  public TrustConfirmations(Supplier<? extends List<X509Certificate>> trustedCas,
      Supplier<? extends List<X509Certificate>> leaves, LeaseWriter lease, String holderIdentity, Duration interval,
      Consumer<String> log) {
    this(trustedCas, leaves, lease, holderIdentity, interval, log, Clock.systemUTC(), System::nanoTime);
  }

  /** With the clock and the retry timer of a test. */
  TrustConfirmations(Supplier<? extends List<X509Certificate>> trustedCas,
      Supplier<? extends List<X509Certificate>> leaves, LeaseWriter lease, String holderIdentity, Duration interval,
      Consumer<String> log, Clock clock, LongSupplier nanoTime) {
    this.trustedCas = Objects.requireNonNull(trustedCas, "trustedCas");
    this.leaves = Objects.requireNonNull(leaves, "leaves");
    this.lease = Objects.requireNonNull(lease, "lease");
    if (holderIdentity == null || holderIdentity.isBlank()) {
      throw new IllegalArgumentException("the holder identity (POD_NAME or HOSTNAME) is required");
    }
    this.holderIdentity = holderIdentity;
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("the poll interval must be positive, not " + interval);
    }
    this.interval = interval;
    this.log = Objects.requireNonNull(log, "log");
    this.clock = clock;
    this.nanoTime = nanoTime;
    this.status = new Status(lease.describe(), null, null, 0, 0, null, null);
    this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "trust-confirmations");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * A reporter over one trust manager and the key managers of the identities a member serves.
   * Pass a manager's certificates only, never a key: {@code certificateChain()} is all that is read.
   */
  public static TrustConfirmations forManagers(LeaseWriter lease, String holderIdentity, Duration interval,
      Consumer<String> log, MemberTrustManager trust, MemberKeyManager... identities) {
    if (identities.length == 0) {
      throw new IllegalArgumentException("at least one key manager: the identities the member serves");
    }
    List<MemberKeyManager> keys = List.of(identities);
    return new TrustConfirmations(trust::trustedCertificates,
        () -> keys.stream().map(k -> k.certificateChain().get(0)).toList(), lease, holderIdentity, interval, log);
  }

  /**
   * A reporter over the TLS of a member (a daemon with a peer and a client identity passes both),
   * polling every second, holder from POD_NAME or HOSTNAME, logging on stdout. With several, a CA
   * counts as trusted only when every one of them trusts it: the operator must not rely on a CA
   * that one of the member's contexts would still refuse.
   */
  public static TrustConfirmations forMember(LeaseWriter lease, MemberTls... tls) {
    return forMember(lease, holderFromEnvironment(System.getenv()), DEFAULT_INTERVAL,
        line -> System.out.println("trust confirmations: " + line), tls);
  }

  /** {@link #forMember(LeaseWriter, MemberTls...)} with the holder, the interval and the log given. */
  public static TrustConfirmations forMember(LeaseWriter lease, String holderIdentity, Duration interval,
      Consumer<String> log, MemberTls... tls) {
    if (tls.length == 0) {
      throw new IllegalArgumentException("at least one MemberTls");
    }
    List<MemberTls> all = List.of(tls);
    return new TrustConfirmations(() -> trustedByAll(all), () -> all.stream()
        .map(t -> t.keyManager().certificateChain().get(0)).toList(), lease, holderIdentity, interval, log);
  }

  /** The CAs of the first context that every other context trusts too (by digest). */
  private static List<X509Certificate> trustedByAll(List<MemberTls> tls) {
    List<X509Certificate> first = tls.get(0).trustManager().trustedCertificates();
    List<X509Certificate> kept = new ArrayList<>(first);
    for (MemberTls other : tls.subList(1, tls.size())) {
      Set<String> digests = other.trustManager().trustedCertificates().stream().map(Fingerprints::digest)
          .collect(Collectors.toSet());
      kept.removeIf(ca -> !digests.contains(Fingerprints.digest(ca)));
    }
    return kept;
  }

  /** The Lease's holderIdentity for this pod: POD_NAME, else HOSTNAME (a pod's hostname is its name). */
  public static String holderFromEnvironment(Map<String, String> env) {
    for (String name : Arrays.asList("POD_NAME", "HOSTNAME")) {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        return value.trim();
      }
    }
    throw new IllegalArgumentException("set POD_NAME (or HOSTNAME): the pod name the trust Lease records");
  }

  /** Starts polling on a daemon thread: at once, then every interval. */
  public synchronized TrustConfirmations start() {
    if (started) {
      throw new IllegalStateException("already started");
    }
    started = true;
    poller.scheduleWithFixedDelay(this::poll, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    return this;
  }

  /**
   * Polls now on the calling thread, without waiting for a retry's backoff: for a daemon that
   * reloads its files itself and wants the Lease to follow at once. Returns whether it wrote.
   */
  public boolean confirmNow() {
    return poll(true);
  }

  /** One scheduled poll, on the calling thread: it waits for a retry's backoff (tests). */
  boolean pollOnce() {
    return poll(false);
  }

  private void poll() {
    try {
      poll(false);
    } catch (RuntimeException e) {
      // a scheduled task that throws is never run again: log it and keep polling
      log.accept("cannot confirm the trust on " + lease.describe() + ": " + describe(e));
    }
  }

  private boolean poll(boolean now) {
    synchronized (polling) {
      try {
        return pollLocked(now);
      } finally {
        status = new Status(lease.describe(), onLease, writtenAt, writes, failures, lastError, notLoaded);
      }
    }
  }

  private boolean pollLocked(boolean now) {
    if (closed || (!now && consecutiveFailures > 0 && nanoTime.getAsLong() - retryAtNanos < 0)) {
      return false;
    }
    Confirmation loaded;
    try {
      loaded = Confirmation.of(trustedCas.get(), leaves.get());
    } catch (RuntimeException e) {
      // not loaded (yet): confirming nothing is the truth, so write nothing
      String problem = describe(e);
      if (!problem.equals(notLoaded)) {
        log.accept("nothing to confirm yet: " + problem);
      }
      notLoaded = problem;
      return false;
    }
    notLoaded = null;
    try {
      if (!leaseRead || nanoTime.getAsLong() - leaseReadAtNanos >= REREAD.toNanos()) {
        leaseRead = false;
        onLease = lease.read();
        leaseRead = true;
        leaseReadAtNanos = nanoTime.getAsLong();
      }
      if (!needsWrite(loaded, onLease)) {
        // the Lease holds what is loaded: whatever failed before is over
        consecutiveFailures = 0;
        lastError = null;
        return false;
      }
      Instant at = clock.instant().truncatedTo(ChronoUnit.MILLIS);
      lease.write(loaded, holderIdentity, at);
      onLease = loaded;
      writtenAt = at;
      leaseReadAtNanos = nanoTime.getAsLong();
      writes++;
      consecutiveFailures = 0;
      lastError = null;
      log.accept("confirmed on " + lease.describe() + ": " + loaded.describe());
      return true;
    } catch (IOException | RuntimeException e) {
      failed(leaseRead ? "cannot record the confirmation on " : "cannot read ", e);
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // closing
      return false;
    }
  }

  /** The reporter's one decision: write when what is loaded is not what the Lease holds. */
  static boolean needsWrite(Confirmation loaded, Confirmation onLease) {
    return !loaded.equals(onLease);
  }

  /** The wait before the next attempt after {@code consecutiveFailures} failures in a row: 1 s doubling to 30 s. */
  static Duration backoff(int consecutiveFailures) {
    int doublings = Math.min(Math.max(consecutiveFailures - 1, 0), 5);
    Duration wait = FIRST_RETRY.multipliedBy(1L << doublings);
    return wait.compareTo(LONGEST_RETRY) > 0 ? LONGEST_RETRY : wait;
  }

  /**
   * After the API answered that the Lease is not there or not this member's (404, 403: its Node
   * names no ServiceAccount, or another one), asking again every 30 s would only load the API
   * server (a thousand such members: thirty requests a second): it is asked again after this.
   */
  static final Duration REFUSED_RETRY = Duration.ofMinutes(5);

  private void failed(String what, Exception e) {
    failures++;
    consecutiveFailures++;
    boolean refused = e instanceof KubernetesLease.LeaseException l && (l.status() == 403 || l.status() == 404);
    Duration wait = refused ? REFUSED_RETRY : backoff(consecutiveFailures);
    retryAtNanos = nanoTime.getAsLong() + wait.toNanos();
    lastError = describe(e);
    String retry = "failure " + consecutiveFailures + " in a row, next try in " + wait.toSeconds() + " s";
    // the API's refusals already say what was refused on which Lease
    log.accept(lastError.contains(lease.describe()) ? lastError + " (" + retry + ")"
        : what + lease.describe() + " (" + retry + "): " + lastError);
  }

  /** The API's refusal as it is (it names the Lease); any other failure with its type, e.g. a timeout. */
  private static String describe(Throwable e) {
    if (e instanceof KubernetesLease.LeaseException) {
      return e.getMessage();
    }
    String message = e.getMessage();
    Throwable cause = e.getCause();
    if (cause != null && cause.getMessage() != null && (message == null || !message.contains(cause.getMessage()))) {
      message = (message == null ? "" : message + ": ") + cause.getMessage();
    }
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  /** What has been confirmed and how it went. */
  public Status status() {
    return status;
  }

  /** Stops polling; a write in flight is interrupted. */
  @Override
  public void close() {
    closed = true;
    poller.shutdownNow();
  }
}
