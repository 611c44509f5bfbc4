package io.arraypki.operator.pki;

import java.time.Duration;
import java.time.Instant;
import java.security.PublicKey;
import java.util.List;
import java.util.Set;

/** What a member's certificate should be, independent of any key or CA. */
public record LeafProfile(
    String commonName,
    List<String> dnsNames,
    List<String> ipAddresses,
    List<String> uris,
    Set<Usage> usages,
    KeySpec keySpec,
    Duration duration,
    Duration renewBefore) {

  public LeafProfile {
    dnsNames = List.copyOf(dnsNames);
    ipAddresses = List.copyOf(ipAddresses);
    uris = List.copyOf(uris);
    usages = Set.copyOf(usages);
  }

  /** The request for a certificate of this profile for {@code key}, starting {@code now}. */
  public LeafRequest request(PublicKey key, Instant now) {
    return new LeafRequest(
        commonName, dnsNames, ipAddresses, uris, usages, key, now, now.plus(duration));
  }
}
