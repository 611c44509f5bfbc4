package io.arraypki.operator.api;

/** Why a CA rotation runs. */
public enum RotationReason {
  PrimaryChanged,
  Renewal,
  Requested,
  IssuerChanged
}
