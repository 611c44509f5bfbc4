package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** One maintenance window: opens on a cron schedule in a time zone and stays open for a duration. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RenewalWindowSpec {
  @JsonPropertyDescription(
      "When the window opens: a standard five-field cron expression (minute hour day-of-month month "
          + "day-of-week; lists, ranges, steps and three-letter names), for example \"0 3 * * TUE\".")
  @Required
  @Pattern(Validation.CRON)
  public String cron;

  @JsonPropertyDescription("The IANA time zone the cron expression is read in, for example Europe/Berlin. Default UTC.")
  @Default("UTC")
  @Pattern(Validation.TIME_ZONE)
  public String timezone;

  @JsonPropertyDescription("How long the window stays open after each opening (Go duration, 1m to 744h).")
  @Required
  @Pattern(Validation.DURATION)
  @ValidationRule(
      value = "duration(self) >= duration('1m') && duration(self) <= duration('744h')",
      message = "must be a duration between 1m and 744h")
  public String windowDuration;
}
