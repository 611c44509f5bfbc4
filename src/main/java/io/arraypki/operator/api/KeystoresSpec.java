package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Extra outputs for JVM workloads, in every issued Secret. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class KeystoresSpec {
  public KeystoreSpec pkcs12;
  public KeystoreSpec jks;
}
