package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/** The candidate map; written by the operator only. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CandidateMapSpec {
  public String array;
  public String digestAlgorithm;
  public List<CandidateEntry> entries = new ArrayList<>();
}
