package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** One certificate for the client-facing (load-balancer) name, shared by serving nodes. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = Validation.RENEW_BEFORE_BELOW_DURATION,
    message = Validation.RENEW_BEFORE_BELOW_DURATION_MESSAGE,
    fieldPath = ".renewBefore",
    reason = "FieldValueInvalid")
public class ServiceCertificateSpec {
  @JsonPropertyDescription("Common name, usually the load-balancer name.")
  @Required
  @Size(min = 1, max = 253)
  @Pattern(Validation.DNS_NAME_OR_WILDCARD)
  public String commonName;

  @JsonPropertyDescription("DNS SANs; a wildcard is allowed only as the whole left-most label.")
  @Size(max = 64)
  public List<@Size(max = 253) @Pattern(Validation.DNS_NAME_OR_WILDCARD) String> dnsNames;

  @JsonPropertyDescription("IP SANs.")
  @Size(max = 64)
  @ValidationRule(value = Validation.ALL_IPS, message = Validation.ALL_IPS_MESSAGE)
  public List<@Size(max = 45) String> ipAddresses;

  @JsonPropertyDescription("Lifetime (Go duration). Default: the peer certificates' duration.")
  @Pattern(Validation.DURATION)
  @ValidationRule(value = Validation.LIFETIME_RANGE, message = Validation.LIFETIME_RANGE_MESSAGE)
  public String duration;

  @JsonPropertyDescription("Renew this long before expiry. Default: a third of duration.")
  @Pattern(Validation.DURATION)
  @ValidationRule(
      value = Validation.RENEW_BEFORE_RANGE,
      message = Validation.RENEW_BEFORE_RANGE_MESSAGE)
  public String renewBefore;

  @JsonPropertyDescription("Key of the service certificate. Default: the peer certificates' key.")
  public PrivateKeySpec privateKey;
}
