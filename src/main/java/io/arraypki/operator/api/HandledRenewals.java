package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** The renew annotation values the operator has acted on. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class HandledRenewals {
  public String ca;
  public String certificates;
}
