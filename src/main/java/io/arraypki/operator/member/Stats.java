package io.arraypki.operator.member;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The counts of a member daemon. Every call is counted when it ends, its attempt together with
 * its outcome under one lock, so that a snapshot always has attempts = successes + failures,
 * overall and per peer: a rotation test that reads zero failures read them honestly.
 */
final class Stats {
  static final int RECENT_FAILURES = 100;

  private final String member;
  private final Instant since;
  private long attempts;
  private long successes;
  private long failures;
  private long handshakeServerFailures;
  private boolean stopped;
  private final Map<String, PeerCounts> peers = new TreeMap<>();
  private final ArrayDeque<Failure> recent = new ArrayDeque<>();
  /** Inbound handshakes that failed, with the server's reason: a caller sees only its side of it. */
  private final ArrayDeque<Failure> recentInbound = new ArrayDeque<>();

  /** What a peer presented in its last successful call. */
  record Presented(String serial, String issuer, String issuerFingerprint) {}

  /** A failed call or inbound handshake; {@code who}: the peer called, or the caller's address. */
  record Failure(Instant time, String who, String error) {}

  private static final class PeerCounts {
    long attempts;
    long successes;
    long failures;
    String lastError;
    Presented lastPresented;
  }

  Stats(String member, Instant since) {
    this.member = member;
    this.since = since;
  }

  /** Whether this was the peer's first success (the daemon logs that one). */
  synchronized boolean success(String peer, Presented presented) {
    if (stopped) {
      return false;
    }
    PeerCounts p = peer(peer);
    attempts++;
    successes++;
    p.attempts++;
    p.successes++;
    p.lastPresented = presented;
    return p.successes == 1;
  }

  synchronized void failure(String peer, String error, Instant now) {
    if (stopped) {
      return;
    }
    PeerCounts p = peer(peer);
    attempts++;
    failures++;
    p.attempts++;
    p.failures++;
    p.lastError = error;
    remember(recent, new Failure(now, peer, error));
  }

  /** An inbound handshake that failed; {@code from} is the caller's address (its name is not known yet). */
  synchronized void handshakeServerFailure(String from, String error, Instant now) {
    if (!stopped) {
      handshakeServerFailures++;
      remember(recentInbound, new Failure(now, from, error));
    }
  }

  private static void remember(ArrayDeque<Failure> failures, Failure failure) {
    failures.addLast(failure);
    while (failures.size() > RECENT_FAILURES) {
      failures.removeFirst();
    }
  }

  /**
   * No more counting: the daemon is stopping, and a call it cuts short (or one that ends after)
   * says nothing about the array.
   */
  synchronized void stop() {
    stopped = true;
  }

  synchronized String summary() {
    return "calls " + attempts + " ok " + successes + " failed " + failures;
  }

  private PeerCounts peer(String name) {
    return peers.computeIfAbsent(name, n -> new PeerCounts());
  }

  /** The /stats document, less what the daemon adds about its own files (serving, trusted). */
  synchronized Map<String, Object> snapshot() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("member", member);
    out.put("since", since.toString());
    out.put("attempts", attempts);
    out.put("successes", successes);
    out.put("failures", failures);
    Map<String, Object> byPeer = new LinkedHashMap<>();
    peers.forEach((name, p) -> {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("attempts", p.attempts);
      entry.put("successes", p.successes);
      entry.put("failures", p.failures);
      entry.put("lastError", p.lastError);
      entry.put("lastPeerSerial", p.lastPresented == null ? null : p.lastPresented.serial());
      entry.put("lastPeerIssuer", p.lastPresented == null ? null : p.lastPresented.issuer());
      entry.put("lastPeerIssuerFingerprint", p.lastPresented == null ? null : p.lastPresented.issuerFingerprint());
      byPeer.put(name, entry);
    });
    out.put("peers", byPeer);
    out.put("recentFailures", listed(recent, "peer"));
    out.put("handshakeServerFailures", handshakeServerFailures);
    out.put("recentInboundFailures", listed(recentInbound, "from"));
    return out;
  }

  private static List<Map<String, Object>> listed(ArrayDeque<Failure> failures, String whoField) {
    List<Map<String, Object>> listed = new ArrayList<>();
    for (Failure f : failures) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("time", f.time().toString());
      entry.put(whoField, f.who());
      entry.put("error", f.error());
      listed.add(entry);
    }
    return listed;
  }
}
