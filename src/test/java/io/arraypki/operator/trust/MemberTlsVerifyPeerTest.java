package io.arraypki.operator.trust;

import static io.arraypki.operator.trust.TestPki.bundle;
import static io.arraypki.operator.trust.TestPki.candidateMap;
import static io.arraypki.operator.trust.TestPki.crl;
import static io.arraypki.operator.trust.TestPki.mount;
import static io.arraypki.operator.trust.TestPki.tlsFiles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.arraypki.operator.pki.CertificateAuthority;
import io.arraypki.operator.trust.TestPki.Leaf;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MemberTls.verifyPeer on connections kept open while the files change under them. */
class MemberTlsVerifyPeerTest {
  @TempDir Path dir;
  CertificateAuthority ca;
  Leaf server;
  Leaf client;
  Path serverTls;
  Path serverTrust;
  Path clientTls;
  Path clientTrust;

  @BeforeEach
  void files() {
    ca = TestPki.ca("sgd CA g1");
    server = TestPki.leaf(ca, MemberTlsTest.SERVER);
    client = TestPki.leaf(ca, MemberTlsTest.CLIENT);
    serverTls = mount(dir.resolve("server-tls"), tlsFiles(server));
    serverTrust = mount(dir.resolve("server-trust"),
        Map.of("ca.crt", bundle(ca), "crl.pem", crl(ca), "candidate-map.json", candidateMap(client)));
    clientTls = mount(dir.resolve("client-tls"), tlsFiles(client));
    clientTrust = mount(dir.resolve("client-trust"), Map.of("ca.crt", bundle(ca)));
  }

  @Test
  void anOpenConnectionsClientPutOnTheCrlFailsTheServersRecheck() throws Exception {
    MemberTls serverTlsContext = MemberTls.open(serverTls, serverTrust, false);
    try (Connection c = connect(serverTlsContext, MemberTls.sslContext(clientTls, clientTrust, false))) {
      serverTlsContext.verifyPeer(c.server);

      mount(serverTrust, Map.of("ca.crt", bundle(ca), "crl.pem", crl(ca, client.serial()),
          "candidate-map.json", candidateMap(client)));

      assertThatThrownBy(() -> serverTlsContext.verifyPeer(c.server)).isInstanceOf(CertificateException.class)
          .hasMessageContaining("the client certificate CN=" + MemberTlsTest.CLIENT)
          .hasMessageContaining("serial " + client.serial().toString(16))
          .hasMessageContaining("is revoked");
    }
  }

  @Test
  void anOpenConnectionsClientRemovedFromTheCandidateMapFailsAPrivilegedServersRecheck() throws Exception {
    MemberTls privileged = MemberTls.open(serverTls, serverTrust, true);
    MemberTls peers = MemberTls.open(serverTls, serverTrust, false);
    try (Connection c = connect(privileged, MemberTls.sslContext(clientTls, clientTrust, false))) {
      privileged.verifyPeer(c.server);

      mount(serverTrust, Map.of("ca.crt", bundle(ca), "crl.pem", crl(ca), "candidate-map.json", candidateMap()));

      assertThatThrownBy(() -> privileged.verifyPeer(c.server)).isInstanceOf(CertificateException.class)
          .hasMessageContaining("not in the candidate map");
      peers.verifyPeer(c.server.getSession(), true); // the candidate map is for privileged contexts only
    }
  }

  @Test
  void anOpenConnectionsServerWhoseCaLeftTheBundleFailsTheClientsRecheck() throws Exception {
    MemberTls clientSide = MemberTls.open(clientTls, clientTrust, false);
    try (Connection c = connect(MemberTls.open(serverTls, serverTrust, false), clientSide.sslContext())) {
      clientSide.verifyPeer(c.client);

      mount(clientTrust, Map.of("ca.crt", bundle(TestPki.ca("unrelated CA"))));

      assertThatThrownBy(() -> clientSide.verifyPeer(c.client)).isInstanceOf(CertificateException.class)
          .hasMessageContaining("the server certificate CN=" + MemberTlsTest.SERVER)
          .hasMessageContaining("no longer passes");
    }
  }

  @Test
  void aConnectionWhoseHandshakeFailedHasNoVerifiedPeer() throws Exception {
    MemberTls clientSide = MemberTls.open(clientTls, mount(dir.resolve("other-trust"),
        Map.of("ca.crt", bundle(TestPki.ca("unrelated CA")))), false);
    MemberTls serverSide = MemberTls.open(serverTls, serverTrust, false);
    try (SSLServerSocket listener = listen(serverSide)) {
      CompletableFuture.runAsync(() -> {
        try (Socket s = listener.accept()) {
          ((SSLSocket) s).startHandshake();
        } catch (IOException expected) {
          // the client refuses the server
        }
      });
      try (SSLSocket socket = clientSocket(clientSide.sslContext(), listener.getLocalPort())) {
        assertThatThrownBy(() -> clientSide.verifyPeer(socket)).isInstanceOf(SSLPeerUnverifiedException.class)
            .hasMessageContaining("not authenticated");
      }
    }
  }

  @Test
  void aMemberServerAsksEveryAcceptedConnectionForTheClientCertificateItWasToldToNeed() throws Exception {
    SSLContext noCertificate = SSLContext.getInstance("TLS");
    noCertificate.init(null, new javax.net.ssl.TrustManager[] {MemberTls.open(clientTls, clientTrust, false)
        .trustManager()}, null);
    MemberTls serverSide = MemberTls.open(serverTls, serverTrust, false);
    try (SSLServerSocket listener = listen(serverSide)) {
      assertThat(listener.getNeedClientAuth()).isTrue();
      assertThat(listener.getSSLParameters().getNeedClientAuth()).isTrue();
      CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> {
        try (Socket s = listener.accept()) {
          ((SSLSocket) s).startHandshake();
          s.getOutputStream().write(1);
          return "accepted";
        } catch (IOException e) {
          return e.toString();
        }
      });
      try (SSLSocket socket = clientSocket(noCertificate, listener.getLocalPort())) {
        socket.startHandshake();
        socket.getInputStream().read();
      } catch (IOException expected) {
        // the server's alert
      }
      assertThat(served.get(10, TimeUnit.SECONDS)).contains("certificate");
    }
  }

  /** Both ends of one handshaken connection. */
  private record Connection(SSLServerSocket listener, SSLSocket server, SSLSocket client) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      // a TLS 1.3 close reads what the peer still sends, up to the read timeout: keep it short
      client.setSoTimeout(100);
      server.setSoTimeout(100);
      client.close();
      server.close();
      listener.close();
    }
  }

  private static Connection connect(MemberTls serverSide, SSLContext clientContext) throws Exception {
    SSLServerSocket listener = listen(serverSide);
    CompletableFuture<SSLSocket> accepted = CompletableFuture.supplyAsync(() -> {
      try {
        SSLSocket s = (SSLSocket) listener.accept();
        s.setSoTimeout(5_000);
        s.startHandshake();
        s.getOutputStream().write(1);
        return s;
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    SSLSocket client = clientSocket(clientContext, listener.getLocalPort());
    client.startHandshake();
    assertThat(client.getInputStream().read()).isEqualTo(1);
    return new Connection(listener, accepted.get(10, TimeUnit.SECONDS), client);
  }

  private static SSLServerSocket listen(MemberTls serverSide) throws IOException {
    SSLServerSocket listener = (SSLServerSocket) serverSide.sslContext().getServerSocketFactory()
        .createServerSocket(0, 10, InetAddress.getLoopbackAddress());
    listener.setNeedClientAuth(true);
    return listener;
  }

  private static SSLSocket clientSocket(SSLContext context, int port) throws IOException {
    Socket raw = new Socket();
    raw.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
    raw.setSoTimeout(5_000);
    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(raw, MemberTlsTest.SERVER, port, true);
    SSLParameters parameters = socket.getSSLParameters();
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    socket.setSSLParameters(parameters);
    return socket;
  }
}
