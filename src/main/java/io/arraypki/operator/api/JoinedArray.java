package io.arraypki.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** The array a node has joined (after its pin check succeeded). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class JoinedArray {
  public String name;
  public String uid;

  public JoinedArray() {}

  public JoinedArray(String name, String uid) {
    this.name = name;
    this.uid = uid;
  }
}
