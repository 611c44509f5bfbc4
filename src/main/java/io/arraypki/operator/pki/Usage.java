package io.arraypki.operator.pki;

/** Extended key usages the operator issues. */
public enum Usage {
  SERVER_AUTH,
  CLIENT_AUTH
}
