package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Extended key usages of issued certificates, spelled as cert-manager spells them. */
public enum CertificateUsage {
  @JsonProperty("server auth")
  SERVER_AUTH,
  @JsonProperty("client auth")
  CLIENT_AUTH
}
