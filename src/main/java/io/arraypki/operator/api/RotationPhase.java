package io.arraypki.operator.api;

/** The phases of a CA rotation (DESIGN.md section 6). */
public enum RotationPhase {
  Idle,
  PublishingTrust,
  /** A time-based renewal's next CA is in every bundle and trusted; it starts signing at its activation time. */
  Prepared,
  Resigning,
  Retiring
}
