package io.arraypki.operator.reconciler;

import io.arraypki.operator.pki.CaSubject;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.CertificateIssuer;
import io.arraypki.operator.pki.KeySpec;
import io.arraypki.operator.pki.KeyPairs;
import io.arraypki.operator.pki.LeafProfile;
import io.arraypki.operator.pki.Usage;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/** Real CAs and leaves at fixed instants for the planner tests (no mocks). */
final class Pki {
  static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

  private Pki() {}

  static CertificateAuthority ca(String name) {
    KeyPair keys = KeyPairs.generate(KeySpec.ECDSA_P256);
    var cert = CertificateIssuer.selfSignedCa(CaSubject.of(name), keys, NOW.minus(Duration.ofDays(1)),
        NOW.plus(Duration.ofDays(365)));
    return CertificateAuthority.selfSigned(cert, keys.getPrivate());
  }

  static LeafProfile peer(String dnsName) {
    return new LeafProfile(dnsName, List.of(dnsName), List.of(), List.of(), Set.of(Usage.SERVER_AUTH,
        Usage.CLIENT_AUTH), KeySpec.ECDSA_P256, Duration.ofDays(90), Duration.ofDays(30));
  }
}
