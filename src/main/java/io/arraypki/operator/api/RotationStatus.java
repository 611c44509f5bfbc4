package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Progress of the CA rotation. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RotationStatus {
  public RotationPhase phase;
  public RotationReason reason;
  /** The generation being rolled out. */
  public Long toGeneration;
  /** Members whose certificates the new CA has signed. */
  public Integer resigned;
  public Integer total;
  public String startedAt;
  /** When the current phase may end (trust propagation wait, overlap). */
  public String phaseEndsAt;
}
