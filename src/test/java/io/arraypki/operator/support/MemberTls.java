package io.arraypki.operator.support;

import io.arraypki.operator.k8s.SecretData;
import io.arraypki.operator.pki.Pem;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Real mutual-TLS handshakes between two members, with the JDK's own TLS stack and keys loaded
 * the way a member daemon would load its mounted Secret (no Bouncy Castle provider involved).
 */
public final class MemberTls {
  private MemberTls() {}

  /** An SSLContext presenting the Secret's certificate and trusting its ca.crt. */
  public static SSLContext context(Secret secret) throws Exception {
    List<X509Certificate> chain = Pem.certificates(SecretData.text(secret, "tls.crt").orElseThrow(), "tls.crt");
    PrivateKey bcKey = Pem.privateKey(SecretData.text(secret, "tls.key").orElseThrow(), "tls.key");
    String algorithm = bcKey.getAlgorithm().equals("ECDSA") ? "EC" : bcKey.getAlgorithm();
    PrivateKey key = KeyFactory.getInstance(algorithm.equals("EdDSA") ? "Ed25519" : algorithm)
        .generatePrivate(new PKCS8EncodedKeySpec(bcKey.getEncoded()));
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("member", key, new char[0], chain.toArray(Certificate[]::new));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
    kmf.init(keys, new char[0]);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    int i = 0;
    for (X509Certificate ca : Pem.certificates(SecretData.text(secret, "ca.crt").orElseThrow(), "ca.crt")) {
      trust.setCertificateEntry("ca-" + i++, ca);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return context;
  }

  /**
   * {@code client} connects to {@code server} as {@code serverName} (hostname verification on);
   * the server requires a client certificate. Returns null on success, else why it failed: each
   * side's exception ("client: ...; server: ..."), such as an SSLHandshakeException naming the
   * certificate check that refused the peer.
   */
  public static String handshake(Secret server, Secret client, String serverName) throws Exception {
    SSLContext serverContext = context(server);
    SSLContext clientContext = context(client);
    try (SSLServerSocket listener = (SSLServerSocket) serverContext.getServerSocketFactory()
        .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      listener.setNeedClientAuth(true);
      CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> {
        try (SSLSocket socket = (SSLSocket) listener.accept()) {
          socket.setSoTimeout(10_000);
          socket.startHandshake();
          OutputStream out = socket.getOutputStream();
          out.write(1);
          out.flush();
          return null;
        } catch (Exception e) {
          return "server: " + e;
        }
      });
      String clientError;
      try (Socket raw = new Socket()) {
        raw.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()), 5_000);
        raw.setSoTimeout(10_000);
        try (SSLSocket socket = (SSLSocket) clientContext.getSocketFactory()
            .createSocket(raw, serverName, listener.getLocalPort(), true)) {
          SSLParameters parameters = socket.getSSLParameters();
          parameters.setEndpointIdentificationAlgorithm("HTTPS");
          socket.setSSLParameters(parameters);
          socket.startHandshake();
          InputStream in = socket.getInputStream();
          clientError = in.read() == 1 ? null : "client: no data after the handshake";
        }
      } catch (Exception e) {
        clientError = "client: " + e;
      }
      String serverError = served.get(15, TimeUnit.SECONDS);
      if (clientError == null || serverError == null) {
        return clientError != null ? clientError : serverError;
      }
      return clientError + "; " + serverError;
    }
  }
}
