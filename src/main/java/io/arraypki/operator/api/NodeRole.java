package io.arraypki.operator.api;

/** A node's role in its array. */
public enum NodeRole {
  Primary,
  Candidate,
  Normal,
  Offline,
  Standalone,
  Pending
}
