package io.arraypki.operator.reconciler;

import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.CertificateIssuer;
import io.arraypki.operator.pki.KeyPairs;
import io.arraypki.operator.pki.LeafProfile;
import io.arraypki.operator.pki.Pem;
import io.fabric8.kubernetes.api.model.Secret;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;

/** A leaf certificate with the PEM that goes into its Secret: the chain and the key. */
record IssuedLeaf(X509Certificate certificate, String chainPem, String keyPem) {

  /** A new key and a certificate for it, signed by {@code ca}. */
  static IssuedLeaf issue(CertificateAuthority ca, LeafProfile profile, Instant now) {
    KeyPair keys = KeyPairs.generate(profile.keySpec());
    X509Certificate certificate = CertificateIssuer.signLeaf(ca, profile.request(keys.getPublic(), now));
    return new IssuedLeaf(certificate, Pem.encode(certificate, ca.chainAboveLeaf()),
        Pem.encodePrivateKey(keys.getPrivate()));
  }

  /** A certificate for a key the node keeps (CSR signing): no private key ever passes here. */
  static IssuedLeaf forPublicKey(CertificateAuthority ca, LeafProfile profile, java.security.PublicKey key,
      Instant now, Instant notAfter) {
    var request = profile.request(key, now);
    if (notAfter != null && notAfter.isBefore(request.notAfter())) {
      request = new io.arraypki.operator.pki.LeafRequest(request.commonName(), request.dnsNames(),
          request.ipAddresses(), request.uris(), request.usages(), key, now, notAfter);
    }
    X509Certificate certificate = CertificateIssuer.signLeaf(ca, request);
    return new IssuedLeaf(certificate, Pem.encode(certificate, ca.chainAboveLeaf()), null);
  }

  /** What an issued Secret already holds, kept as it is. */
  static IssuedLeaf existing(Secret secret, X509Certificate certificate) {
    return new IssuedLeaf(certificate,
        SecretData.text(secret, SecretData.TLS_CRT).orElseThrow(),
        SecretData.text(secret, SecretData.TLS_KEY).filter(k -> !k.isEmpty()).orElse(null));
  }
}
