package io.arraypki.operator.member;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a member daemon is told, from its environment ({@link #fromEnvironment}) or built by a test.
 * The peers are either a static list ({@code PEERS}) or the pods a label selector finds in the
 * daemon's namespace ({@code PEER_SELECTOR}, {@code POD_NAMESPACE}); never both.
 *
 * @param listenPort 0: any free port (tests)
 * @param statsPort 0: any free port (tests)
 * @param peerSelector null unless peers come from the Kubernetes API
 * @param trustLease the Lease on which the daemon confirms what it loaded; null: it confirms nothing
 */
public record Settings(
    String memberName,
    Path tlsDirectory,
    Path trustDirectory,
    int listenPort,
    int statsPort,
    Duration callInterval,
    Duration callTimeout,
    List<Peer> peers,
    String peerSelector,
    String namespace,
    String trustLease) {

  public Settings {
    if (memberName == null || memberName.isBlank()) {
      throw new IllegalArgumentException("MEMBER_NAME is required: this node's name");
    }
    peers = List.copyOf(peers);
    if (peerSelector != null && !peers.isEmpty()) {
      throw new IllegalArgumentException("set PEERS or PEER_SELECTOR, not both");
    }
    if (peerSelector != null && (namespace == null || namespace.isBlank())) {
      throw new IllegalArgumentException("PEER_SELECTOR needs POD_NAMESPACE: the namespace to list pods in");
    }
    if (callInterval.isNegative() || callInterval.isZero() || callTimeout.isNegative() || callTimeout.isZero()) {
      throw new IllegalArgumentException("CALL_INTERVAL_MS and CALL_TIMEOUT_MS must be positive");
    }
  }

  /** Settings of a daemon that confirms nothing on a trust Lease. */
  public Settings(String memberName, Path tlsDirectory, Path trustDirectory, int listenPort, int statsPort,
      Duration callInterval, Duration callTimeout, List<Peer> peers, String peerSelector, String namespace) {
    this(memberName, tlsDirectory, trustDirectory, listenPort, statsPort, callInterval, callTimeout, peers,
        peerSelector, namespace, null);
  }

  /** The environment of this process; a pod's ServiceAccount token turns trust confirmations on by default. */
  public static Settings fromEnvironment(Map<String, String> env) {
    return fromEnvironment(env, io.arraypki.operator.trust.KubernetesLease.inClusterTokenPresent());
  }

  /**
   * @param inCluster whether a ServiceAccount token is mounted: then, unless CONFIRM_TRUST=false,
   *     the daemon confirms on {@code <MEMBER_NAME>-trust} when TRUST_LEASE names no other Lease
   */
  static Settings fromEnvironment(Map<String, String> env, boolean inCluster) {
    String selector = blankToNull(env.get("PEER_SELECTOR"));
    return new Settings(
        env.get("MEMBER_NAME"),
        Path.of(env.getOrDefault("TLS_DIR", "/etc/array/tls")),
        Path.of(env.getOrDefault("TRUST_DIR", "/etc/array/trust")),
        port(env, "LISTEN_PORT", 7443),
        port(env, "STATS_PORT", 8080),
        Duration.ofMillis(number(env, "CALL_INTERVAL_MS", 500)),
        // as long as the plain member's deadline: a call that a busy node stalls for a few
        // seconds is slow, not refused, and counting it as a failure hid nothing about certificates
        Duration.ofMillis(number(env, "CALL_TIMEOUT_MS", 10000)),
        parsePeers(env.getOrDefault("PEERS", "")),
        selector,
        blankToNull(env.get("POD_NAMESPACE")),
        trustLease(env, inCluster));
  }

  /** TRUST_LEASE; when unset, {@code <MEMBER_NAME>-trust} in a pod unless CONFIRM_TRUST=false. */
  private static String trustLease(Map<String, String> env, boolean inCluster) {
    String lease = blankToNull(env.get("TRUST_LEASE"));
    String confirm = blankToNull(env.get("CONFIRM_TRUST"));
    if (confirm != null && !confirm.equals("true") && !confirm.equals("false")) {
      throw new IllegalArgumentException("CONFIRM_TRUST must be true or false, not '" + confirm + "'");
    }
    if (lease != null && "false".equals(confirm)) {
      throw new IllegalArgumentException("TRUST_LEASE names a Lease to confirm on, CONFIRM_TRUST=false says not to:"
          + " set one of them");
    }
    if (lease != null) {
      return lease;
    }
    String member = blankToNull(env.get("MEMBER_NAME"));
    return inCluster && !"false".equals(confirm) && member != null ? member + "-trust" : null;
  }

  /** {@code name=dnsName@host:port,...}; an IPv6 host in brackets: {@code node-b=b.example@[fd00::2]:7443}. */
  static List<Peer> parsePeers(String text) {
    List<Peer> peers = new ArrayList<>();
    for (String entry : text.split(",")) {
      String e = entry.trim();
      if (e.isEmpty()) {
        continue;
      }
      int equals = e.indexOf('=');
      int at = e.lastIndexOf('@');
      int colon = e.lastIndexOf(':');
      if (equals < 1 || at < equals + 2 || colon < at + 2) {
        throw new IllegalArgumentException("PEERS entry '" + e + "' is not name=dnsName@host:port");
      }
      String host = e.substring(at + 1, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      int port;
      try {
        port = Integer.parseInt(e.substring(colon + 1));
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException("PEERS entry '" + e + "' has no port number after the last ':'");
      }
      peers.add(new Peer(e.substring(0, equals), e.substring(equals + 1, at), host, port));
    }
    return peers;
  }

  private static int port(Map<String, String> env, String name, int fallback) {
    long port = number(env, name, fallback);
    if (port > 65535) {
      throw new IllegalArgumentException(name + " must be a TCP port, not " + port);
    }
    return (int) port;
  }

  private static long number(Map<String, String> env, String name, long fallback) {
    String value = blankToNull(env.get(name));
    if (value == null) {
      return fallback;
    }
    try {
      long n = Long.parseLong(value.trim());
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a non-negative whole number, not '" + value + "'");
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  /** For the start log: every setting but the peers (there are no secrets among them). */
  String describe() {
    return "tls " + tlsDirectory + ", trust " + trustDirectory + ", listen " + listenPort + ", stats " + statsPort
        + ", call every " + callInterval.toMillis() + " ms, timeout " + callTimeout.toMillis() + " ms"
        + (trustLease == null ? ", no trust confirmations" : ", confirming trust on Lease " + trustLease);
  }

  /** Where the peers come from, for the start log. */
  String describePeers() {
    return peerSelector != null
        ? "the running pods matching '" + peerSelector + "' in namespace " + namespace
        : peers.isEmpty() ? "none" : peers.toString();
  }
}
