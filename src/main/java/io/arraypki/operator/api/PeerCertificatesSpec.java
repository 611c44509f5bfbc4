package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** The certificate every member gets for its peer DNS name. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = Validation.RENEW_BEFORE_BELOW_DURATION,
    message = Validation.RENEW_BEFORE_BELOW_DURATION_MESSAGE,
    fieldPath = ".renewBefore",
    reason = "FieldValueInvalid")
public class PeerCertificatesSpec {
  @JsonPropertyDescription(
      "Lifetime of peer certificates (Go duration). Default 2160h; never past the CA's notAfter.")
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

  @JsonPropertyDescription("Key of each peer certificate. Default ECDSA P-256.")
  public PrivateKeySpec privateKey;

  @JsonPropertyDescription("Extended key usages. Default: server auth and client auth.")
  @Size(min = 1, max = 2)
  @ValidationRule(value = "self.all(u, self.exists_one(v, v == u))", message = "usages must not repeat")
  public List<CertificateUsage> usages;
}
