package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** The CA generation that signs now. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CaStatus {
  public Long generation;
  /** {@code SHA256:} and upper-case colon hex, as {@code openssl x509 -fingerprint -sha256}. */
  public String fingerprint;
  /** The first four bytes of the fingerprint, for printer columns. */
  public String shortFingerprint;
  public String serialNumber;
  public String notBefore;
  public String notAfter;
  public String secretName;
}
