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
      "Wait this long after publishing a new CA in every bundle before re-signing leaves. Default 30s.")
  @Default("30s")
  @Pattern(Validation.DURATION)
  @ValidationRule(
      value = "duration(self) <= duration('24h')",
      message = "must be a duration of at most 24h")
  public String trustPropagationDelay;

  @JsonPropertyDescription(
      "Keep the old CA trusted this long after the last leaf moved to the new one. Default 1h.")
  @Default("1h")
  @Pattern(Validation.DURATION)
  @ValidationRule(
      value = "duration(self) <= duration('8760h')",
      message = "must be a duration of at most 8760h")
  public String overlap;
}
