package io.arraypki.operator.k8s;

import io.arraypki.operator.pki.KeyPairs;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.pki.PkiException;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Issued Secrets of type kubernetes.io/tls: tls.crt (leaf, then chain), tls.key, ca.crt (bundle). */
public final class LeafSecrets {
  public static final String TYPE = "kubernetes.io/tls";

  private LeafSecrets() {}

  /** What goes into an issued Secret besides its metadata. */
  public record Content(String chainPem, String keyPem, String bundlePem, Map<String, byte[]> extra) {}

  /** Where an issued Secret belongs and what the secretTemplate adds. */
  public record Placement(
      String name,
      HasMetadata owner,
      String array,
      String node,
      String component,
      Map<String, String> templateLabels,
      Map<String, String> templateAnnotations) {}

  public static Secret secret(Placement placement, Content content, Map<String, String> annotations) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(SecretData.TLS_CRT, SecretData.encode(content.chainPem()));
    // kubernetes.io/tls requires the key; an External key provider's Secret carries it empty.
    data.put(SecretData.TLS_KEY, content.keyPem() == null ? "" : SecretData.encode(content.keyPem()));
    data.put(SecretData.CA_CRT, SecretData.encode(content.bundlePem()));
    content.extra().forEach((k, v) -> data.put(k, SecretData.encode(v)));
    Map<String, String> allAnnotations = new LinkedHashMap<>();
    if (placement.templateAnnotations() != null) {
      allAnnotations.putAll(placement.templateAnnotations());
    }
    allAnnotations.putAll(annotations);
    return new SecretBuilder()
        .withMetadata(
            ManagedObjects.metadata(
                placement.name(),
                placement.owner(),
                placement.array(),
                placement.node(),
                placement.component(),
                placement.templateLabels(),
                allAnnotations))
        .withType(TYPE)
        .withData(data)
        .build();
  }

  /** Public facts only (certificates, public keys): a few thousand kept after release cost little. */
  private static final int RELEASED_KEPT = 4096;
  private static final ParsedSecrets<Optional<X509Certificate>> LEAVES =
      new ParsedSecrets<>(RELEASED_KEPT, SecretData.TLS_CRT);
  private static final ParsedSecrets<Optional<java.security.PublicKey>> KEYS_HELD =
      new ParsedSecrets<>(RELEASED_KEPT, SecretData.TLS_CRT, SecretData.TLS_KEY);

  /** The leaf certificate of an issued Secret, or empty when absent or unreadable. */
  public static Optional<X509Certificate> leaf(Secret secret) {
    return LEAVES.get(secret, LeafSecrets::parseLeaf);
  }

  private static Optional<X509Certificate> parseLeaf(Secret secret) {
    try {
      return SecretData.text(secret, SecretData.TLS_CRT).map(pem -> Pem.certificate(pem, "tls.crt"));
    } catch (PkiException e) {
      return Optional.empty();
    }
  }

  /**
   * A Secret the operator is about to write with a certificate it just issued for a key it just
   * made: what reading it back would find is known, so the next reconcile does not compute it.
   */
  public static void rememberIssued(Secret secret, X509Certificate certificate) {
    LEAVES.remember(secret, Optional.of(certificate));
    KEYS_HELD.remember(secret, Optional.of(certificate.getPublicKey()));
  }

  public static final String CERTIFICATE_UNREADABLE = "CertificateUnreadable";
  public static final String KEY_MISMATCH = "KeyMismatch";

  /**
   * What is wrong with an issued Secret someone edited: CertificateUnreadable (tls.crt deleted or
   * not a certificate) or KeyMismatch (tls.key deleted, unreadable or not the certificate's key);
   * empty when it is whole. {@code keyHeldHere} is false for nodes that keep their own key.
   */
  public static Optional<String> damage(Secret secret, boolean keyHeldHere) {
    Optional<X509Certificate> certificate = leaf(secret);
    if (certificate.isEmpty()) {
      return Optional.of(CERTIFICATE_UNREADABLE);
    }
    return keyHeldHere && !holdsKeyOf(secret, certificate.get()) ? Optional.of(KEY_MISMATCH) : Optional.empty();
  }

  /** Whether tls.key is the private key of {@code certificate}. */
  public static boolean holdsKeyOf(Secret secret, X509Certificate certificate) {
    return KEYS_HELD.get(secret, LeafSecrets::publicKeyOfHeldKey)
        .map(key -> key.equals(certificate.getPublicKey())).orElse(false);
  }

  /** The public key that goes with tls.key (the private key itself is not remembered). */
  private static Optional<java.security.PublicKey> publicKeyOfHeldKey(Secret secret) {
    try {
      Optional<X509Certificate> certificate = leaf(secret);
      return SecretData.text(secret, SecretData.TLS_KEY)
          .filter(pem -> !pem.isEmpty())
          .filter(pem -> certificate.isPresent()
              && KeyPairs.matches(Pem.privateKey(pem, "tls.key"), certificate.get().getPublicKey()))
          .map(pem -> certificate.get().getPublicKey());
    } catch (PkiException e) {
      return Optional.empty();
    }
  }

  public static Optional<String> annotation(Secret secret, String key) {
    if (secret == null || secret.getMetadata().getAnnotations() == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(secret.getMetadata().getAnnotations().get(key));
  }
}
