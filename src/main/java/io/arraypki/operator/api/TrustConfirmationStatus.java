package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** What a member last confirmed on its Lease {@code <node>-trust}, and whether that is current. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TrustConfirmationStatus {
  public TrustState state;
  /** The Lease the member confirms on. */
  public String leaseName;
  /** SHA-256 fingerprints (short form) of the CAs the member last confirmed it trusts. */
  public List<String> trustedCAs;
  /** Serials (hex) of the certificates the member last confirmed it serves. */
  public List<String> leafSerials;
  /** When the member confirmed that, and from which pod. */
  public String confirmedAt;
  public String confirmedBy;
  /** Since when what the member confirmed differs from what its Secret holds. */
  public String behindSince;
}
