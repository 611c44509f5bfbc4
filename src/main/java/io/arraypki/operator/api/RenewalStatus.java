package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** What the array's renewal windows schedule (DESIGN.md section 6, "Renewal windows"). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RenewalStatus {
  /** The next (or current) window's opening and closing; absent without windows. */
  public String nextWindowStart;
  public String nextWindowEnd;
  /** When the signing CA's time-based renewal activates the next CA (inside a window). */
  public String caRenewalTime;
  /** When the next CA is published in every bundle, ahead of its activation. */
  public String caPreparationTime;
}
