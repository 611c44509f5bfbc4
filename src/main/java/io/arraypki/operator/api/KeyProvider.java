package io.arraypki.operator.api;

/** Who holds a node's private key. */
public enum KeyProvider {
  /** The operator generates the key and stores it in the node's Secrets. */
  Operator,
  /** The node keeps its key (a TPM) and sends CertificateSigningRequests. */
  External
}
