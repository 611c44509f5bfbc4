package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** When time-based renewals may happen (DESIGN.md section 6, "Renewal windows"). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RenewalSpec {
  @JsonPropertyDescription(
      "Maintenance windows, cert-manager's shape: time-based renewals of every leaf and of the CA happen only "
          + "inside one, spread across it by a hash of the array's uid and each Secret's name. Requested work (the renew annotations, a "
          + "primary change, a repair, a revocation, an issuer change) is never deferred. A renewal waits for a "
          + "window only while its certificate stays valid with a margin (a third of renewBefore); if none opens "
          + "in time it renews at the last safe moment, with a Warning. Windows that can never be satisfied for "
          + "the array's durations are refused (condition RenewalWindows) and renewals happen when due. Empty: "
          + "renew whenever due.")
  @ValidationRule(value = "self.size() <= 16", message = "at most 16 windows")
  public List<RenewalWindowSpec> windows;

  @JsonPropertyDescription(
      "At most this many time-based certificate renewals of this array start in any one minute inside a "
          + "window (a bound on members re-keying at once; requested work and renewals at the last safe moment "
          + "are not held). Default 60.")
  @Default("60")
  @Min(1)
  @Max(100000)
  public Integer maxPerMinute;
}
