package io.arraypki.operator.trust;

import io.arraypki.operator.pki.CaSubject;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.CertificateIssuer;
import io.arraypki.operator.pki.Crls;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.KeyPairs;
import io.arraypki.operator.pki.KeySpec;
import io.arraypki.operator.pki.LeafRequest;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.pki.Revocation;
import io.arraypki.operator.pki.Usage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Certificates and mounted files for tests of the member library and the member daemon, made
 * with the project's pki/ classes. Validity starts an hour ago, since real handshakes check it
 * against the clock.
 */
public final class TestPki {
  private static final AtomicLong VERSIONS = new AtomicLong();

  private TestPki() {}

  /** A leaf (server and client auth) with its key. */
  public record Leaf(X509Certificate certificate, PrivateKey key) {
    public BigInteger serial() {
      return certificate.getSerialNumber();
    }

    public String certificatePem() {
      return Pem.encode(certificate);
    }

    public String keyPem() {
      return Pem.encodePrivateKey(key);
    }

    public String digest() {
      return Fingerprints.digest(certificate);
    }
  }

  /** A self-signed ECDSA P-256 CA named {@code name}. */
  public static CertificateAuthority ca(String name) {
    KeyPair keys = KeyPairs.generate(KeySpec.ECDSA_P256);
    Instant now = Instant.now();
    X509Certificate cert = CertificateIssuer.selfSignedCa(CaSubject.of(name), keys,
        now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(2)));
    return CertificateAuthority.selfSigned(cert, keys.getPrivate());
  }

  /** A leaf for {@code dnsName} (CN and SAN), signed by {@code ca}. */
  public static Leaf leaf(CertificateAuthority ca, String dnsName) {
    KeyPair keys = KeyPairs.generate(KeySpec.ECDSA_P256);
    Instant now = Instant.now();
    X509Certificate cert = CertificateIssuer.signLeaf(ca, new LeafRequest(dnsName, List.of(dnsName), List.of(),
        List.of(), Set.of(Usage.SERVER_AUTH, Usage.CLIENT_AUTH), keys.getPublic(),
        now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1))));
    return new Leaf(cert, keys.getPrivate());
  }

  /** The CA bundle of ca.crt. */
  public static String bundle(CertificateAuthority... cas) {
    return Arrays.stream(cas).map(ca -> Pem.encode(ca.certificate())).collect(Collectors.joining());
  }

  /** A crl.pem of {@code ca} listing {@code serials} (none: an empty CRL). */
  public static String crl(CertificateAuthority ca, BigInteger... serials) {
    Instant now = Instant.now();
    List<Revocation> revoked = Arrays.stream(serials)
        .map(s -> new Revocation(s, 1, now, now.plus(Duration.ofDays(1)), "node", "Demoted")).toList();
    return Pem.encode(Crls.issue(ca, 1, revoked, BigInteger.valueOf(VERSIONS.incrementAndGet()), now,
        Duration.ofDays(1)));
  }

  /** A candidate-map.json allowing exactly these client certificates. */
  public static String candidateMap(Leaf... clients) {
    return Arrays.stream(clients)
        .map(c -> "{\"node\":\"" + c.certificate().getSubjectX500Principal().getName() + "\",\"certificateDigest\":\""
            + c.digest() + "\",\"role\":\"Candidate\"}")
        .collect(Collectors.joining(",", "{\"entries\":[", "]}"));
  }

  /** tls.crt and tls.key of a leaf. */
  public static Map<String, String> tlsFiles(Leaf leaf) {
    return Map.of("tls.crt", leaf.certificatePem(), "tls.key", leaf.keyPem());
  }

  /**
   * Mounts {@code files} at {@code dir} the way the kubelet updates a Secret or ConfigMap volume:
   * a new version directory, one atomic swap of the {@code ..data} symlink, and {@code dir/<key>}
   * links through it. Files of an earlier version that are not in {@code files} disappear.
   */
  public static Path mount(Path dir, Map<String, String> files) {
    try {
      Files.createDirectories(dir);
      Path version = Files.createDirectory(dir.resolve("..v" + VERSIONS.incrementAndGet()));
      for (var file : files.entrySet()) {
        Files.writeString(version.resolve(file.getKey()), file.getValue());
      }
      Path link = dir.resolve("..data_tmp");
      Files.deleteIfExists(link);
      Files.createSymbolicLink(link, version.getFileName());
      Files.move(link, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      for (String key : files.keySet()) {
        Path keyLink = dir.resolve(key);
        if (!Files.isSymbolicLink(keyLink)) {
          Files.createSymbolicLink(keyLink, Path.of("..data").resolve(key));
        }
      }
      try (var existing = Files.list(dir)) {
        for (Path p : existing.toList()) {
          String name = p.getFileName().toString();
          if (!name.startsWith("..") && !files.containsKey(name)) {
            Files.delete(p);
          }
        }
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
