package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** One problem found by the verify of an array. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class VerifyProblem {
  public String node;
  public VerifyProblemKind problem;
  public String message;
}
