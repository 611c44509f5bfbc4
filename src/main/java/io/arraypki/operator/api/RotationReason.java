package io.arraypki.operator.api;

/** Why a CA rotation runs. */
public enum RotationReason {
  PrimaryChanged,
  Renewal,
  Requested,
  IssuerChanged,
  /**
   * A rotation found unfinished from the certificates themselves (leaves still signed by an older
   * CA) when the status that recorded it was lost, for example objects restored from a backup.
   */
  Resumed
}
