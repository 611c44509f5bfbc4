package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** The client certificates of the primary and the master candidates. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = Validation.RENEW_BEFORE_BELOW_DURATION,
    message = Validation.RENEW_BEFORE_BELOW_DURATION_MESSAGE,
    fieldPath = ".renewBefore",
    reason = "FieldValueInvalid")
public class ClientCertificatesSpec {
  @JsonPropertyDescription("Issue client certificates to the primary and candidates. Default true.")
  @Default("true")
  public Boolean enabled;

  @JsonPropertyDescription("Lifetime of client certificates (Go duration). Default 2160h.")
  @Default("2160h")
  @Pattern(Validation.DURATION)
  @ValidationRule(value = Validation.LIFETIME_RANGE, message = Validation.LIFETIME_RANGE_MESSAGE)
  public String duration;

  @JsonPropertyDescription("Renew this long before expiry. Default: a third of duration.")
  @Pattern(Validation.DURATION)
  @ValidationRule(
      value = Validation.RENEW_BEFORE_RANGE,
      message = Validation.RENEW_BEFORE_RANGE_MESSAGE)
  public String renewBefore;

  @JsonPropertyDescription("Key of each client certificate. Default: the peer certificates' key.")
  public PrivateKeySpec privateKey;
}
