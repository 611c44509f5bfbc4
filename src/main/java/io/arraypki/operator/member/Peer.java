package io.arraypki.operator.member;

/**
 * A member to call: its node name (which its PONG must name), the DNS name its certificate must
 * carry (SNI and hostname verification), and where it listens (an IP in a cluster).
 */
public record Peer(String name, String dnsName, String host, int port) {
  public Peer {
    if (name == null || name.isBlank() || dnsName == null || dnsName.isBlank() || host == null || host.isBlank()) {
      throw new IllegalArgumentException("a peer needs a name, a DNS name and a host");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("peer " + name + ": port " + port + " is not a TCP port");
    }
  }

  @Override
  public String toString() {
    return name + " (" + dnsName + " at " + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + ")";
  }
}
