package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** Bring your own CA: a Secret with tls.crt (intermediate chain), tls.key and ca.crt (root). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class IssuerRef {
  @JsonPropertyDescription(
      "Secret in this namespace with tls.crt (the issuing CA, then further intermediates),"
          + " tls.key and ca.crt (the root).")
  @Required
  @Size(max = 253)
  @Pattern(Validation.OBJECT_NAME)
  public String secretName;
}
