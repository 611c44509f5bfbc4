package io.arraypki.operator.pki;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * A CA that can sign: its certificate and key, the intermediates above it (for a CA brought by
 * the user) and the root that members trust.
 */
public record CertificateAuthority(
    X509Certificate certificate,
    PrivateKey key,
    List<X509Certificate> intermediates,
    X509Certificate root) {

  public CertificateAuthority {
    intermediates = List.copyOf(intermediates);
  }

  public static CertificateAuthority selfSigned(X509Certificate certificate, PrivateKey key) {
    return new CertificateAuthority(certificate, key, List.of(), certificate);
  }

  /** The certificates a leaf presents after itself: this CA unless it is the root, then the rest. */
  public List<X509Certificate> chainAboveLeaf() {
    List<X509Certificate> chain = new ArrayList<>();
    if (!certificate.equals(root)) {
      chain.add(certificate);
      chain.addAll(intermediates);
    }
    return chain;
  }

  public boolean isSelfSigned() {
    return certificate.equals(root);
  }
}
