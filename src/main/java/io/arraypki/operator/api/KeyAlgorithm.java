package io.arraypki.operator.api;

/** Private key algorithms, spelled as cert-manager spells them. */
public enum KeyAlgorithm {
  RSA,
  ECDSA,
  Ed25519
}
