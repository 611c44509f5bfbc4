package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.ValidationRule;

/** One keystore format, as cert-manager's {@code keystores.pkcs12} / {@code keystores.jks}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!self.create || has(self.passwordSecretRef)",
    message = "passwordSecretRef is required when create is true",
    fieldPath = ".passwordSecretRef",
    reason = "FieldValueRequired")
public class KeystoreSpec {
  @JsonPropertyDescription("Write the keystore and truststore into every issued Secret.")
  @Default("false")
  public Boolean create;

  @JsonPropertyDescription("The Secret key holding the keystore password.")
  public SecretKeySelector passwordSecretRef;
}
