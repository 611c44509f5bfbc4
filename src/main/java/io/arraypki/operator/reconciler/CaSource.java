package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.ClusterArray;
import io.arraypki.operator.k8s.CaSecrets;
import io.arraypki.operator.k8s.Labels;
import io.arraypki.operator.k8s.Names;
import io.arraypki.operator.k8s.ObjectWriter;
import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.CertificateIssuer;
import io.arraypki.operator.pki.ExternalIssuer;
import io.arraypki.operator.pki.KeyPairs;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where a new CA generation comes from: generated for the primary, or copied from the issuer
 * Secret of a brought CA. Each generation's Secret is created only if none exists (create-only),
 * so that a concurrent or restarted operator gets the one that won back, never a second CA.
 */
record CaSource(ClusterArray array, ArraySettings settings, Context<ClusterArray> context, Instant now,
    Optional<ExternalIssuer.Check> issuer) {
  static final String ISSUER_HASH = "arraypki.io/issuer-hash";

  Secret create(long generation, String primary, String reason) {
    String name = array.getMetadata().getName();
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(Labels.CA_PRIMARY, primary);
    if (reason != null) {
      annotations.put(Labels.CA_REASON, reason);
    }
    CertificateAuthority ca;
    if (issuer.isPresent()) {
      ca = issuer.get().ca();
      annotations.put(ISSUER_HASH, issuer.get().hash());
    } else {
      KeyPair keys = KeyPairs.generate(settings.caKey());
      X509Certificate certificate = CertificateIssuer.selfSignedCa(
          settings.caSubject(name, generation), keys, now, now.plus(settings.caDuration()));
      ca = CertificateAuthority.selfSigned(certificate, keys.getPrivate());
    }
    Secret secret = CaSecrets.secret(Names.caGenerationSecret(name, generation), array, name, generation, ca,
        annotations);
    // a generation is one CA for good: nobody, the operator included, may swap its key in place
    secret.setImmutable(true);
    return ObjectWriter.createOnly(context, secret);
  }
}
