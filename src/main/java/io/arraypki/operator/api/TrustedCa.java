package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** A CA that is in the trust bundles now. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TrustedCa {
  public Long generation;
  public String fingerprint;
  public String notAfter;
  /** When an old CA leaves the bundles; unset for the signing CA. */
  public String retireAfter;
}
