package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** One node allowed to make privileged calls, identified by its client certificate digest. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CandidateEntry {
  public String node;
  @JsonProperty("nodeUID")
  public String nodeUID;
  public NodeRole role;
  /** {@code sha256:} and lower-case hex of the DER client certificate. */
  public String certificateDigest;
  public String serialNumber;
}
