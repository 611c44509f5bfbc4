package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.KeystoreSpec;
import io.arraypki.operator.api.KeystoresSpec;
import io.arraypki.operator.k8s.SecretData;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;

/**
 * The keystore passwords an array asks for, read from the Secrets it names (the user's; read
 * directly, never cached). A missing Secret or key is a problem to report, not a crash.
 */
record KeystorePasswords(String pkcs12, String jks, String problem) {
  static final KeystorePasswords NONE = new KeystorePasswords(null, null, null);

  boolean wanted() {
    return pkcs12 != null || jks != null;
  }

  static KeystorePasswords read(KubernetesClient client, String namespace, KeystoresSpec spec) {
    if (spec == null) {
      return NONE;
    }
    StringBuilder problems = new StringBuilder();
    String pkcs12 = password(client, namespace, spec.pkcs12, "pkcs12", problems);
    String jks = password(client, namespace, spec.jks, "jks", problems);
    return new KeystorePasswords(pkcs12, jks, problems.isEmpty() ? null : problems.toString());
  }

  private static String password(KubernetesClient client, String namespace, KeystoreSpec spec, String format,
      StringBuilder problems) {
    if (spec == null || !Boolean.TRUE.equals(spec.create) || spec.passwordSecretRef == null) {
      return null;
    }
    Secret secret = client.secrets().inNamespace(namespace).withName(spec.passwordSecretRef.name).get();
    Optional<String> password = Optional.ofNullable(secret)
        .flatMap(s -> SecretData.text(s, spec.passwordSecretRef.key));
    if (password.isEmpty()) {
      problems.append(problems.isEmpty() ? "" : "; ").append("the ").append(format).append(" password Secret ")
          .append(spec.passwordSecretRef.name).append(secret == null ? " does not exist" : " has no key "
              + spec.passwordSecretRef.key);
      return null;
    }
    return password.get();
  }
}
