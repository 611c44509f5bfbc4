package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.KeystoreSpec;
import io.arraypki.operator.api.KeystoresSpec;
import io.arraypki.operator.k8s.SecretData;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;

/**
 * The keystore passwords an array asks for, read from the Secrets it names (the user's). A
 * missing Secret or key is a problem to report, not a crash.
 */
record KeystorePasswords(String pkcs12, String jks, String problem) {
  static final KeystorePasswords NONE = new KeystorePasswords(null, null, null);

  boolean wanted() {
    return pkcs12 != null || jks != null;
  }

  /** Where a password Secret is read from. */
  @FunctionalInterface
  interface Source {
    Optional<Secret> get(String namespace, String name);

    /** The API server: one GET a Secret. */
    static Source live(KubernetesClient client) {
      return (namespace, name) -> Optional.ofNullable(client.secrets().inNamespace(namespace).withName(name).get());
    }
  }

  static KeystorePasswords read(KubernetesClient client, String namespace, KeystoresSpec spec) {
    return read(Source.live(client), namespace, spec);
  }

  /** Reads nothing at all unless the array asks for keystores. */
  static KeystorePasswords read(Source secrets, String namespace, KeystoresSpec spec) {
    if (spec == null) {
      return NONE;
    }
    StringBuilder problems = new StringBuilder();
    String pkcs12 = password(secrets, namespace, spec.pkcs12, "pkcs12", problems);
    String jks = password(secrets, namespace, spec.jks, "jks", problems);
    return new KeystorePasswords(pkcs12, jks, problems.isEmpty() ? null : problems.toString());
  }

  /** Whether {@code spec} names the Secret {@code name} (so that a change to it concerns the array). */
  static boolean names(KeystoresSpec spec, String name) {
    return spec != null && (names(spec.pkcs12, name) || names(spec.jks, name));
  }

  private static boolean names(KeystoreSpec spec, String name) {
    return spec != null && Boolean.TRUE.equals(spec.create) && spec.passwordSecretRef != null
        && name.equals(spec.passwordSecretRef.name);
  }

  private static String password(Source secrets, String namespace, KeystoreSpec spec, String format,
      StringBuilder problems) {
    if (spec == null || !Boolean.TRUE.equals(spec.create) || spec.passwordSecretRef == null) {
      return null;
    }
    Optional<Secret> secret = secrets.get(namespace, spec.passwordSecretRef.name);
    Optional<String> password = secret.flatMap(s -> SecretData.text(s, spec.passwordSecretRef.key));
    if (password.isEmpty()) {
      problems.append(problems.isEmpty() ? "" : "; ").append("the ").append(format).append(" password Secret ")
          .append(spec.passwordSecretRef.name).append(secret.isEmpty() ? " does not exist" : " has no key "
              + spec.passwordSecretRef.key);
      return null;
    }
    return password.get();
  }
}
