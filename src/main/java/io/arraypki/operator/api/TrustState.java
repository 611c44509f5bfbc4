package io.arraypki.operator.api;

/** What a member's trust Lease says of the files it has loaded, against what it holds now. */
public enum TrustState {
  /** It has loaded the bundle and the certificate its Secret holds now. */
  Current,
  /** Its Secret changed and it has not confirmed the change yet (for less than confirmationTimeout). */
  Loading,
  /** It has not confirmed what its Secret holds for longer than confirmationTimeout: it stopped reloading. */
  Stale,
  /** It names a ServiceAccount but has never confirmed: the trust propagation delay is what it gets. */
  Unconfirmed
}
