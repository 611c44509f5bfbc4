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
  /** When the current phase may end at the latest (trust propagation wait, confirmation timeout, overlap). */
  public String phaseEndsAt;
  /**
   * When the current phase's wait began: every member's Secret held the new CA (PublishingTrust),
   * or every member's Secret held its re-signed certificate (Retiring).
   */
  public String waitingSince;
  /** The members (at most ten, by name) whose confirmation the current phase still waits for. */
  public java.util.List<String> waitingFor;
  /** How many members the current phase still waits for (waitingFor lists at most ten). */
  public Integer waitingForCount;
}
