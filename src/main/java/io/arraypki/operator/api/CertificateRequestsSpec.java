package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * The array as a cert-manager issuer for its clients: which cert-manager CertificateRequests in
 * the array's namespace naming it ({@code issuerRef: {group: arraypki.io, kind: ClusterArray,
 * name: <array>}}) it signs, with its current CA. Nothing is signed unless {@code enabled}; a CA
 * is never signed; a request for anything outside the lists below is refused with a reason.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CertificateRequestsSpec {
  @JsonPropertyDescription("Sign approved cert-manager CertificateRequests whose issuerRef names this array. Default false.")
  @Default("false")
  public Boolean enabled;

  @JsonPropertyDescription("DNS names (and common names) clients may ask for: a name, or *.suffix for any one"
      + " label under suffix. Empty: none.")
  @Size(max = 64)
  public List<@Size(max = 253) @Pattern(Validation.DNS_NAME_OR_WILDCARD) String> dnsNames;

  @JsonPropertyDescription("IP ranges (CIDR) the IP SANs clients ask for must fall in. Empty: no IP SANs.")
  @Size(max = 64)
  @ValidationRule(value = "self.all(c, isCIDR(c))", message = "every item must be a CIDR such as 10.0.0.0/8")
  public List<@Size(max = 49) String> ipRanges;

  @JsonPropertyDescription("Prefixes the URI SANs clients ask for must start with (spiffe://example.org/ns/app/)."
      + " Empty: no URI SANs.")
  @Size(max = 64)
  public List<@Size(min = 1, max = 512) String> uriPrefixes;

  @JsonPropertyDescription("Extended key usages clients may ask for: client auth, server auth. A request that asks"
      + " for none gets client auth. Default [client auth].")
  @Size(min = 1, max = 2)
  @ValidationRule(value = "self.all(u, u == 'client auth' || u == 'server auth')",
      message = "usages may be 'client auth' and 'server auth'")
  public List<String> usages;

  @JsonPropertyDescription("Longest lifetime signed (Go duration); longer requests get this. Default: the client"
      + " certificates' duration.")
  @Pattern(Validation.DURATION)
  @ValidationRule(value = Validation.LIFETIME_RANGE, message = Validation.LIFETIME_RANGE_MESSAGE)
  public String maxDuration;
}
