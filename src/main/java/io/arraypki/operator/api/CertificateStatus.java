package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** The certificate a node holds now. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CertificateStatus {
  public String secretName;
  public String serialNumber;
  /** {@code SHA256:} and upper-case colon hex. */
  public String fingerprint;
  /** {@code sha256:} and lower-case hex of the DER certificate (candidate-map form). */
  public String digest;
  public String notBefore;
  public String notAfter;
  public String renewalTime;
}
