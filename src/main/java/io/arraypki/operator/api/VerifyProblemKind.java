package io.arraypki.operator.api;

/** What a cluster verify can find wrong. */
public enum VerifyProblemKind {
  DigestMismatch,
  NotACandidate,
  MissingClientCertificate,
  ClientCertificateOnNormalNode,
  ForeignCertificate,
  /** A certificate a member holds now is on the array's own CRL (it is reissued). */
  RevokedCertificateInUse
}
