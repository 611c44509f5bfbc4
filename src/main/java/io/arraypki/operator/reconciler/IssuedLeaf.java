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

  /** What an issued Secret already holds, kept as it is. */
  static IssuedLeaf existing(Secret secret, X509Certificate certificate) {
    return new IssuedLeaf(certificate,
        SecretData.text(secret, SecretData.TLS_CRT).orElseThrow(),
        SecretData.text(secret, SecretData.TLS_KEY).filter(k -> !k.isEmpty()).orElse(null));
  }
}
