package io.arraypki.operator.pki;

import java.security.PublicKey;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * What a leaf certificate should say. The CN is also the first DNS SAN; URIs carry identities
 * such as {@code arraypki://namespace/array/node}. A name longer than a CN may be (64
 * characters, RFC 5280's ub-common-name) is in the SAN only, and the subject is empty.
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

  /** RFC 5280's upper bound on a common name. */
  public static final int MAX_COMMON_NAME = 64;

  /** Whether {@code name} can be a CN; a longer DNS name lives in the SAN alone. */
  public static boolean fitsCommonName(String name) {
    return name.length() <= MAX_COMMON_NAME;
  }

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
