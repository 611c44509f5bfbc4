package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.ValidationRule;

/** The shape of cert-manager's {@code privateKey}: algorithm and size. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self.algorithm != 'RSA' || !has(self.size) || self.size in [2048, 3072, 4096]",
    message = "RSA keys must have size 2048, 3072 or 4096",
    fieldPath = ".size",
    reason = "FieldValueInvalid")
@ValidationRule(
    value = "self.algorithm != 'ECDSA' || !has(self.size) || self.size in [256, 384]",
    message = "ECDSA keys must have size 256 (P-256) or 384 (P-384)",
    fieldPath = ".size",
    reason = "FieldValueInvalid")
@ValidationRule(
    value = "self.algorithm != 'Ed25519' || !has(self.size) || self.size == 0",
    message = "Ed25519 keys have no size; leave size unset",
    fieldPath = ".size",
    reason = "FieldValueInvalid")
public class PrivateKeySpec {
  @JsonPropertyDescription("Key algorithm: RSA, ECDSA or Ed25519.")
  @Default("ECDSA")
  public KeyAlgorithm algorithm;

  @JsonPropertyDescription(
      "Key size: 2048, 3072 or 4096 for RSA (default 2048); 256 or 384 for ECDSA (default 256);"
          + " unset for Ed25519.")
  public Integer size;

  public PrivateKeySpec() {}

  public PrivateKeySpec(KeyAlgorithm algorithm, Integer size) {
    this.algorithm = algorithm;
    this.size = size;
  }
}
