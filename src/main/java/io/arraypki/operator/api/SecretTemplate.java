package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Map;

/** Labels and annotations copied onto every issued Secret. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class SecretTemplate {
  @ValidationRule(
      value = "self.all(k, !k.startsWith('arraypki.io/') && k != 'app.kubernetes.io/managed-by')",
      message = "labels must not use the arraypki.io/ prefix or app.kubernetes.io/managed-by")
  public Map<String, String> labels;

  @ValidationRule(
      value = "self.all(k, !k.startsWith('arraypki.io/'))",
      message = "annotations must not use the arraypki.io/ prefix")
  public Map<String, String> annotations;
}
