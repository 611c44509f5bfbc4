package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

/** Per-candidate SSH key pairs. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SshKeysSpec {
  @JsonPropertyDescription(
      "Give each candidate its own Ed25519 key pair; authorized_keys lists them. Default false.")
  @Default("false")
  public Boolean enabled;
}
