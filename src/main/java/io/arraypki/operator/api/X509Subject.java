package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** Extra subject attributes of a CA, as cert-manager's {@code subject}. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class X509Subject {
  @Size(max = 16)
  public List<String> organizations;

  @Size(max = 16)
  public List<String> organizationalUnits;

  @Size(max = 16)
  public List<String> countries;

  @Size(max = 16)
  public List<String> localities;

  @Size(max = 16)
  public List<String> provinces;
}
