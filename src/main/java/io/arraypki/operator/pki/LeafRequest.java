package io.arraypki.operator.pki;

import java.security.PublicKey;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * What a leaf certificate should say. The CN is also the first DNS SAN; URIs carry identities
 * such as {@code arraypki://namespace/array/node}.
 */
public record LeafRequest(
    String commonName,
    List<String> dnsNames,
    List<String> ipAddresses,
    List<String> uris,
    Set<Usage> usages,
    PublicKey publicKey,
    Instant notBefore,
    Instant notAfter) {

  public LeafRequest {
    dnsNames = List.copyOf(dnsNames);
    ipAddresses = List.copyOf(ipAddresses);
    uris = List.copyOf(uris);
    usages = Set.copyOf(usages);
    if (!notAfter.isAfter(notBefore)) {
      throw new PkiException("a certificate must end after it starts");
    }
  }
}
