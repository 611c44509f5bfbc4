package io.arraypki.operator.pki;

import java.math.BigInteger;
import java.time.Instant;

/**
 * A revoked certificate: its serial, the CA generation that issued it, when it was revoked and
 * when it expires (after which it leaves the CRL), the node it belonged to and why.
 */
public record Revocation(
    BigInteger serial, long caGeneration, Instant revokedAt, Instant notAfter, String node, String reason) {}
