package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** Extra subject attributes of a CA, as cert-manager's {@code subject}. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class X509Subject {
  @Size(max = 16)
  public List<@Size(min = 1, max = 64) String> organizations;

  @Size(max = 16)
  public List<@Size(min = 1, max = 64) String> organizationalUnits;

  /** ISO 3166 two-letter codes, as X.509 requires. */
  @Size(max = 16)
  public List<@Size(min = 2, max = 2) String> countries;

  @Size(max = 16)
  public List<@Size(min = 1, max = 128) String> localities;

  @Size(max = 16)
  public List<@Size(min = 1, max = 128) String> provinces;
}
