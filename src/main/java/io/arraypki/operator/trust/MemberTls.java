package io.arraypki.operator.trust;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * The TLS of an array member, over its mounted Secret and the array's trust ConfigMap: an
 * SSLContext, and a re-check of a connection's peer against the files as they are now.
 *
 * <p>The SSLContext never resumes a session (see {@link OneContextPerConnection}): every
 * connection it makes or accepts is a full handshake, in which the member's certificate is
 * chosen and the peer is checked (CA bundle, CRL, candidate map) against the current files. A
 * daemon therefore needs nothing more for connections that carry one call. A connection kept
 * open across a change of the files is not checked again by itself: call {@link
 * #verifyPeer(SSLSocket)} before each request on it (or close it when the files change).
 */
public final class MemberTls {
  private final MemberKeyManager keyManager;
  private final MemberTrustManager trustManager;
  private final SSLContext context;

  private MemberTls(Path tlsDirectory, Path trustDirectory, boolean privileged) {
    this.keyManager = new MemberKeyManager(tlsDirectory);
    this.trustManager = new MemberTrustManager(trustDirectory, privileged);
    try {
      this.context = OneContextPerConnection.create(keyManager, trustManager);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot create the member's TLS context", e);
    }
  }

  /**
   * A member's TLS. The files are read at the first handshake (and whenever they change), not
   * here, so that a member may start before its Secret is complete.
   *
   * @param tlsDirectory where the member's Secret is mounted (tls.crt, tls.key)
   * @param trustDirectory where the trust ConfigMap (or the Secret's ca.crt) is mounted
   * @param privileged whether clients must be in the candidate map
   */
  public static MemberTls open(Path tlsDirectory, Path trustDirectory, boolean privileged) {
    return new MemberTls(tlsDirectory, trustDirectory, privileged);
  }

  /** {@code open(tlsDirectory, trustDirectory, privileged).sslContext()}. */
  public static SSLContext sslContext(Path tlsDirectory, Path trustDirectory, boolean privileged) {
    return open(tlsDirectory, trustDirectory, privileged).sslContext();
  }

  /** The member's SSLContext: no session resumption, every handshake checked against the files. */
  public SSLContext sslContext() {
    return context;
  }

  /** What the member presents: the mounted tls.crt and tls.key. */
  public MemberKeyManager keyManager() {
    return keyManager;
  }

  /** What the member trusts: the mounted ca.crt, crl.pem and candidate-map.json. */
  public MemberTrustManager trustManager() {
    return trustManager;
  }

  /**
   * Checks the peer of a connection (handshaking first if it has not) against the files as they
   * are now: its chain must still reach a CA of ca.crt and be valid now, no certificate of it may
   * be on the CRL, and for a privileged context a client must still be in the candidate map.
   *
   * @throws SSLPeerUnverifiedException the connection has no authenticated peer
   * @throws CertificateException the peer's certificate no longer passes, with the reason
   */
  public void verifyPeer(SSLSocket socket) throws SSLPeerUnverifiedException, CertificateException {
    verifyPeer(socket.getSession(), !socket.getUseClientMode());
  }

  /** {@link #verifyPeer(SSLSocket)} for an engine whose handshake is done. */
  public void verifyPeer(SSLEngine engine) throws SSLPeerUnverifiedException, CertificateException {
    verifyPeer(engine.getSession(), !engine.getUseClientMode());
  }

  /**
   * {@link #verifyPeer(SSLSocket)} for a session.
   *
   * @param peerIsClient whether the peer was the client of the handshake (this member the server)
   */
  public void verifyPeer(SSLSession session, boolean peerIsClient)
      throws SSLPeerUnverifiedException, CertificateException {
    String role = peerIsClient ? "client" : "server";
    Certificate[] presented;
    try {
      presented = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      SSLPeerUnverifiedException unverified = new SSLPeerUnverifiedException(
          "the " + role + " of this connection is not authenticated (no handshake, or it failed)");
      unverified.initCause(e);
      throw unverified;
    }
    X509Certificate[] chain = new X509Certificate[presented.length];
    for (int i = 0; i < presented.length; i++) {
      if (!(presented[i] instanceof X509Certificate x509)) {
        throw new SSLPeerUnverifiedException("the " + role + " presented a certificate that is not X.509");
      }
      chain[i] = x509;
    }
    try {
      trustManager.verify(chain, peerIsClient);
    } catch (CertificateException e) {
      throw new CertificateException("the " + role + " certificate " + chain[0].getSubjectX500Principal().getName()
          + " (serial " + chain[0].getSerialNumber().toString(16) + ") no longer passes the member's trust check: "
          + e.getMessage(), e);
    }
  }
}
