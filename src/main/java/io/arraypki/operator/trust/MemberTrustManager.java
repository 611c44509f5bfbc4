package io.arraypki.operator.trust;

import io.arraypki.operator.pki.Fingerprints;
import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts the array's mounted CA bundle (ca.crt), refuses certificates listed in a CRL (crl.pem)
 * signed by their issuer, and, for privileged connections, accepts a client only when the
 * SHA-256 digest of its certificate is in candidate-map.json. Reloads all three when they change.
 */
public final class MemberTrustManager extends X509ExtendedTrustManager {
  private final MountedFiles<Trust> trust;
  private final boolean privileged;

  private record Trust(List<X509Certificate> cas, X509ExtendedTrustManager chains, List<X509CRL> crls,
      Set<String> candidates) {}

  /**
   * @param trustDirectory holds ca.crt, and optionally crl.pem and candidate-map.json
   * @param privileged accept clients only if they are in the candidate map
   */
  public MemberTrustManager(Path trustDirectory, boolean privileged) {
    this.privileged = privileged;
    this.trust = new MountedFiles<>(MemberTrustManager::parse, trustDirectory.resolve("ca.crt"),
        trustDirectory.resolve("crl.pem"), trustDirectory.resolve("candidate-map.json"));
  }

  private static Trust parse(byte[][] files) {
    if (files[0] == null) {
      throw new IllegalStateException("ca.crt is not mounted");
    }
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      List<X509Certificate> cas = cf.generateCertificates(new ByteArrayInputStream(files[0])).stream()
          .map(c -> (X509Certificate) c).toList();
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (var ca : cas) {
        store.setCertificateEntry("ca-" + i++, ca);
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
      factory.init(store);
      X509ExtendedTrustManager chains = null;
      for (TrustManager tm : factory.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x) {
          chains = x;
        }
      }
      List<X509CRL> crls = files[1] == null ? List.of()
          : cf.generateCRLs(new ByteArrayInputStream(files[1])).stream().map(c -> (X509CRL) c).toList();
      Set<String> candidates = files[2] == null ? Set.of() : CandidateMapFile.digests(files[2]);
      return new Trust(cas, chains, crls, candidates);
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot load the mounted trust material", e);
    }
  }

  private static void checkRevocation(Trust t, X509Certificate[] chain) throws CertificateException {
    for (X509Certificate cert : chain) {
      for (X509CRL crl : t.crls()) {
        if (crl.getIssuerX500Principal().equals(cert.getIssuerX500Principal()) && crl.isRevoked(cert)) {
          throw new CertificateException("certificate " + cert.getSerialNumber().toString(16) + " is revoked");
        }
      }
    }
  }

  private void checkCandidate(Trust t, X509Certificate[] chain) throws CertificateException {
    if (privileged && !t.candidates().contains(Fingerprints.digest(chain[0]))) {
      throw new CertificateException("client certificate " + Fingerprints.digest(chain[0])
          + " is not in the candidate map: privileged calls are refused");
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    Trust t = trust.get();
    t.chains().checkClientTrusted(chain, authType, socket);
    checkRevocation(t, chain);
    checkCandidate(t, chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    Trust t = trust.get();
    t.chains().checkClientTrusted(chain, authType, engine);
    checkRevocation(t, chain);
    checkCandidate(t, chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    Trust t = trust.get();
    t.chains().checkClientTrusted(chain, authType);
    checkRevocation(t, chain);
    checkCandidate(t, chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    Trust t = trust.get();
    t.chains().checkServerTrusted(chain, authType, socket);
    checkRevocation(t, chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    Trust t = trust.get();
    t.chains().checkServerTrusted(chain, authType, engine);
    checkRevocation(t, chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    Trust t = trust.get();
    t.chains().checkServerTrusted(chain, authType);
    checkRevocation(t, chain);
  }

  /**
   * Checks a chain a peer presented in an earlier handshake against the files as they are now:
   * the CA bundle (validity against the clock), the CRL and, for a client of a privileged
   * context, the candidate map. Hostnames are not checked again: they do not depend on the files.
   */
  void verify(X509Certificate[] chain, boolean peerIsClient) throws CertificateException {
    if (peerIsClient) {
      checkClientTrusted(chain, chain[0].getPublicKey().getAlgorithm());
    } else {
      // what the JDK passes for TLS 1.3: the leaf must allow digital signatures
      checkServerTrusted(chain, "UNKNOWN");
    }
  }

  /** The CAs of the mounted ca.crt, in the file's order (read again if it changed). */
  public List<X509Certificate> trustedCertificates() {
    return trust.get().cas();
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return trust.get().chains().getAcceptedIssuers();
  }
}
