/**
 * The library for member daemons (Java): TLS key and trust managers over the files an array
 * member mounts from its Secret and the array's trust ConfigMap. They trust the array's CA bundle,
 * refuse revoked certificates (crl.pem), accept privileged clients only when the SHA-256 digest
 * of their certificate is in candidate-map.json, and reload when the mounted files change, with
 * no restart. Only the JDK's own TLS stack is used; keys are loaded with the JDK's providers.
 * No Kubernetes types here: a daemon sees only files.
 *
 * <p>Optionally, a member reports what it has loaded (the digests of its CAs, the serials of its
 * leaves) on its trust Lease, so that the operator can wait for every member during a CA
 * rotation: {@link io.arraypki.operator.trust.TrustConfirmations} polls the managers and writes
 * the Lease once per change through {@link io.arraypki.operator.trust.KubernetesLease}, which uses
 * the JDK's own HTTP client and the pod's ServiceAccount, not a Kubernetes client library. A member
 * that is not written in Java runs {@link io.arraypki.operator.trust.ConfirmSidecar} beside it.
 *
 * <p>The SSLContexts of {@link io.arraypki.operator.trust.MemberTls} never resume a TLS session:
 * a resumed handshake would skip the trust manager (a demoted or revoked peer accepted) and the
 * certificate choice (a rotated member presenting its old certificate). Every connection is a
 * full handshake against the files as they are at that moment; a connection kept open across a
 * change is checked again with {@code verifyPeer}.
 *
 * <pre>{@code
 * MemberTls tls = MemberTls.open(Path.of("/etc/array/tls"), Path.of("/etc/array/trust"), true);
 * SSLServerSocket server = (SSLServerSocket) tls.sslContext().getServerSocketFactory().createServerSocket(7443);
 * server.setNeedClientAuth(true);
 * SSLSocket call = (SSLSocket) server.accept();
 * ...
 * tls.verifyPeer(call); // before a request on a connection that stays open
 *
 * TrustConfirmations confirmations = TrustConfirmations.forMember(KubernetesLease.inCluster("node-a-trust"), tls).start();
 * }</pre>
 */
package io.arraypki.operator.trust;
