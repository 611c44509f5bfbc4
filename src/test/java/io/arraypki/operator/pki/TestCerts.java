package io.arraypki.operator.pki;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/** Small fixtures for the pki tests: a CA, a leaf, PEM files for openssl. */
final class TestCerts {
  static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

  private TestCerts() {}

  static CertificateAuthority ca(KeySpec spec, Duration lifetime) {
    KeyPair keys = KeyPairs.generate(spec);
    var cert = CertificateIssuer.selfSignedCa(CaSubject.of("test CA g1"), keys, NOW, NOW.plus(lifetime));
    return CertificateAuthority.selfSigned(cert, keys.getPrivate());
  }

  static LeafProfile profile(KeySpec spec) {
    return new LeafProfile("node-a.sgd.example.com", List.of("node-a.sgd.example.com", "node-a.internal"),
        List.of("10.0.0.11", "fd00::11"), List.of(), Set.of(Usage.SERVER_AUTH, Usage.CLIENT_AUTH), spec,
        Duration.ofDays(90), Duration.ofDays(30));
  }

  static Path write(Path dir, String name, String pem) {
    try {
      return Files.writeString(dir.resolve(name), pem);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
