package io.arraypki.operator.api;

/** Whether the operator signs approved CertificateSigningRequests for a node. */
public enum CsrSigning {
  Disabled,
  Enabled
}
