package io.arraypki.operator.k8s;

import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.pki.PkiException;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** CA Secrets: tls.crt (the CA, then intermediates), tls.key, ca.crt (the root). */
public final class CaSecrets {
  private CaSecrets() {}

  public static Secret secret(
      String name, HasMetadata owner, String array, long generation, CertificateAuthority ca) {
    return secret(name, owner, array, generation, ca, Map.of());
  }

  /** With extra annotations, such as the primary the generation was made for. */
  public static Secret secret(String name, HasMetadata owner, String array, long generation,
      CertificateAuthority ca, Map<String, String> annotations) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(SecretData.TLS_CRT, SecretData.encode(Pem.encode(ca.certificate(), ca.intermediates())));
    data.put(SecretData.TLS_KEY, SecretData.encode(Pem.encodePrivateKey(ca.key())));
    data.put(SecretData.CA_CRT, SecretData.encode(Pem.encode(ca.root())));
    return new SecretBuilder()
        .withMetadata(
            ManagedObjects.metadata(
                name,
                owner,
                array,
                null,
                Labels.COMPONENT_CA,
                Map.of(),
                withGeneration(annotations, generation)))
        .withType("Opaque")
        .withData(data)
        .build();
  }

  private static Map<String, String> withGeneration(Map<String, String> annotations, long generation) {
    Map<String, String> all = new LinkedHashMap<>(annotations);
    all.put(Labels.CA_GENERATION, Long.toString(generation));
    return all;
  }

  private static final ParsedSecrets<CertificateAuthority> READ = new ParsedSecrets<>();

  /**
   * The CA in a Secret; an error naming the Secret and what is wrong with it. Every member's
   * reconcile signs with it, so each version of the Secret is parsed once (an EC key's parse
   * computes its public point).
   */
  public static CertificateAuthority read(Secret secret) {
    return READ.get(secret, CaSecrets::parse);
  }

  private static CertificateAuthority parse(Secret secret) {
    String where = "Secret " + secret.getMetadata().getName();
    String chainPem =
        SecretData.text(secret, SecretData.TLS_CRT)
            .orElseThrow(() -> new PkiException(where + " has no " + SecretData.TLS_CRT));
    String keyPem =
        SecretData.text(secret, SecretData.TLS_KEY)
            .orElseThrow(() -> new PkiException(where + " has no " + SecretData.TLS_KEY));
    List<X509Certificate> chain = Pem.certificates(chainPem, where + " " + SecretData.TLS_CRT);
    X509Certificate root =
        SecretData.text(secret, SecretData.CA_CRT)
            .map(pem -> Pem.certificate(pem, where + " " + SecretData.CA_CRT))
            .orElse(chain.get(chain.size() - 1));
    return new CertificateAuthority(
        chain.get(0),
        Pem.privateKey(keyPem, where + " " + SecretData.TLS_KEY),
        chain.subList(1, chain.size()),
        root);
  }

  public static Optional<Long> generation(Secret secret) {
    Map<String, String> annotations = secret.getMetadata().getAnnotations();
    if (annotations == null || annotations.get(Labels.CA_GENERATION) == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Long.parseLong(annotations.get(Labels.CA_GENERATION)));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
