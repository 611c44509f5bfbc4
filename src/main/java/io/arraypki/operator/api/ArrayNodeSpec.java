package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** A server of an array, as the platform engineer declares it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self.csrSigning != 'Enabled' || self.keyProvider == 'External'",
    message = "csrSigning: Enabled needs keyProvider: External",
    fieldPath = ".csrSigning",
    reason = "FieldValueInvalid")
public class ArrayNodeSpec {
  @JsonPropertyDescription("The ClusterArray (same namespace) this node belongs to; empty: standalone.")
  @Size(max = 253)
  @Pattern(Validation.OBJECT_NAME_OR_EMPTY)
  public String array;

  @JsonPropertyDescription("CN and first SAN of the peer certificate; no wildcards.")
  @Required
  @Size(min = 1, max = 253)
  @Pattern(Validation.DNS_NAME)
  @JsonProperty("peerDNSName")
  public String peerDNSName;

  @JsonPropertyDescription("More DNS SANs; no wildcards.")
  @Size(max = 64)
  public List<@Size(max = 253) @Pattern(Validation.DNS_NAME) String> dnsNames;

  @JsonPropertyDescription("IP SANs.")
  @Size(max = 64)
  @ValidationRule(value = Validation.ALL_IPS, message = Validation.ALL_IPS_MESSAGE)
  public List<@Size(max = 45) String> ipAddresses;

  @JsonPropertyDescription("Asks to be a master candidate. Default false.")
  @Default("false")
  public Boolean masterCandidate;

  @JsonPropertyDescription("May be auto-promoted and may be named primary. Default true.")
  @Default("true")
  public Boolean masterCapable;

  @JsonPropertyDescription("Takes the node out: no role, no private key material. Default false.")
  @Default("false")
  public Boolean offline;

  @JsonPropertyDescription(
      "SHA-256 fingerprint the array's CA must have when the node joins (any case, colons and"
          + " SHA256: prefix optional).")
  @Pattern(Validation.FINGERPRINT_PIN)
  @JsonProperty("trustedCAFingerprint")
  public String trustedCAFingerprint;

  @JsonPropertyDescription("Operator (default) generates the key; External signs the node's CSRs.")
  @Default("Operator")
  public KeyProvider keyProvider;

  @JsonPropertyDescription("Enabled allows signing of approved CSRs for this node. Default Disabled.")
  @Default("Disabled")
  public CsrSigning csrSigning;

  @JsonPropertyDescription("The ServiceAccount that may read this node's Secrets.")
  @Size(max = 253)
  @Pattern(Validation.OBJECT_NAME)
  public String serviceAccountName;

  @JsonPropertyDescription("Receives the array's serviceCertificate. Default false.")
  @Default("false")
  public Boolean serving;
}
