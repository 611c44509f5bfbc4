package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** Timing of a CA rotation (DESIGN.md section 6). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RotationSpec {
  @JsonPropertyDescription(
      "Wait this long after publishing a new CA in every bundle before re-signing leaves, and after "
          + "replacing a certificate before revoking it. Default 2m: longer than a kubelet with default "
          + "settings takes to deliver a changed Secret or ConfigMap into a running pod (its sync period, "
          + "1m, plus up to half of it as jitter, plus the cache: 52-85 s measured). Shorter only for "
          + "kubelets with a shorter syncFrequency, or members that read the API directly.")
  @Default("2m")
  @Pattern(Validation.DURATION)
  @ValidationRule(
      value = "duration(self) <= duration('24h')",
      message = "must be a duration of at most 24h")
  public String trustPropagationDelay;

  @JsonPropertyDescription(
      "Keep the old CA trusted this long after the last leaf moved to the new one. Default 1h. "
          + "At least trustPropagationDelay (a shorter value is raised to it): until then a member's pod "
          + "may not yet hold its new leaf, and peers that dropped the old CA would refuse it.")
  @Default("1h")
  @Pattern(Validation.DURATION)
  @ValidationRule(
      value = "duration(self) <= duration('8760h')",
      message = "must be a duration of at most 8760h")
  public String overlap;

  @JsonPropertyDescription(
      "How long a rotation waits for a member that confirms what it has loaded (its Lease <node>-trust, "
          + "written by the member library or the confirm-trust sidecar) before it goes on without it, with a "
          + "Warning Event that names it. Default 3m: about twice the longest delivery of a changed Secret "
          + "into a pod measured with kubelet defaults (85 s). A member behind for longer than this outside a "
          + "rotation makes the array's MembersCurrent condition False.")
  @Default("3m")
  @Pattern(Validation.DURATION)
  @ValidationRule(
      value = "duration(self) <= duration('24h')",
      message = "must be a duration of at most 24h")
  public String confirmationTimeout;
}
