/**
 * Pure certificate logic: keys, CAs, leaf certificates, CSRs, CRLs, fingerprints, keystores and
 * the decisions about them. Nothing here knows Kubernetes; everything that depends on time takes
 * a {@link java.time.Clock} or an {@link java.time.Instant}. All X.509 work is Bouncy Castle's.
 */
package io.arraypki.operator.pki;
