package io.arraypki.operator.api;

/** What a cluster verify can find wrong. */
public enum VerifyProblemKind {
  DigestMismatch,
  NotACandidate,
  MissingClientCertificate,
  ClientCertificateOnNormalNode,
  ForeignCertificate
}
