package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** Result of the last verify of the map against the issued material. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CandidateMapStatus {
  public Long observedGeneration;
  public Boolean verified;
  public String lastVerified;
  public List<VerifyProblem> problems;
  public List<Condition> conditions = new ArrayList<>();
}
