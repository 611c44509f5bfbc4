package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What the operator observed and did for an array. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ClusterArrayStatus {
  public Long observedGeneration;
  /** The primary whose CA signs now. */
  public String primary;
  public CaStatus ca;
  public List<TrustedCa> trustedCAs;
  public RotationStatus rotation;
  /** The next renewal window and the CA's scheduled renewal. */
  public RenewalStatus renewal;
  public Integer members;
  public Integer readyMembers;
  public List<String> candidates;
  public HandledRenewals lastHandledRenewal;
  /** Ready, Rotating, Verified, Degraded. */
  public List<Condition> conditions = new ArrayList<>();
}
