/**
 * The library for member daemons (Java): TLS key and trust managers over the files an array
 * member mounts from its Secret and the array's trust ConfigMap. They trust the array's CA bundle,
 * refuse revoked certificates (crl.pem), accept privileged clients only when the SHA-256 digest
 * of their certificate is in candidate-map.json, and reload when the mounted files change, with
 * no restart. Only the JDK's own TLS stack is used; keys are loaded with the JDK's providers.
 *
 * <pre>{@code
 * SSLContext peer = MemberTls.sslContext(Path.of("/etc/array/tls"), Path.of("/etc/array/trust"), false);
 * SSLContext privileged = MemberTls.sslContext(Path.of("/etc/array/tls"), Path.of("/etc/array/trust"), true);
 * }</pre>
 */
package io.arraypki.operator.trust;
