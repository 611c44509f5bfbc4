package io.arraypki.operator.api;

/** The phases of a CA rotation (DESIGN.md section 6). */
public enum RotationPhase {
  Idle,
  PublishingTrust,
  Resigning,
  Retiring
}
