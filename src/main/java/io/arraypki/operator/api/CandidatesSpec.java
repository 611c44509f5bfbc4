package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** How many master candidates the operator keeps (Ganeti's candidate_pool_size). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CandidatesSpec {
  @JsonPropertyDescription("Primary plus candidates the operator keeps. Default 3.")
  @Default("3")
  @Min(1)
  @Max(1000)
  public Integer poolSize;

  @JsonPropertyDescription(
      "Promote online, master-capable nodes (in name order) to keep poolSize. Default true.")
  @Default("true")
  public Boolean autoPromote;
}
