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
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Real TLS over loopback: one client SSLContext reused across calls, while the server's mounted
 * files change under it. JDK contexts resume TLS 1.3 sessions, and a resumed handshake calls no
 * trust manager and presents no new certificate, so each test makes a first call (which leaves a
 * resumable session behind) before the files change, and proves the next call sees the change.
 *
 * <p>Two clients: the member library's own, and a plain JDK context, which resumes whenever the
 * server lets it (the control test shows that it does): the server must refuse a demoted or
 * revoked client whatever client software it runs.
 */
class MemberTlsTest {
  static final String SERVER = "server.sgd.example.com";
  static final String CLIENT = "client.sgd.example.com";

  @TempDir Path dir;
  CertificateAuthority ca;
  Leaf server;
  Leaf client;
  Path serverTls;
  Path serverTrust;
  Path clientTls;
  Path clientTrust;

  enum ClientKind { MEMBER_LIBRARY, PLAIN_JDK }

  @BeforeEach
  void files() {
    ca = TestPki.ca("sgd CA g1");
    server = TestPki.leaf(ca, SERVER);
    client = TestPki.leaf(ca, CLIENT);
    serverTls = mount(dir.resolve("server-tls"), tlsFiles(server));
    serverTrust = mount(dir.resolve("server-trust"),
        Map.of("ca.crt", bundle(ca), "crl.pem", crl(ca), "candidate-map.json", candidateMap(client)));
    clientTls = mount(dir.resolve("client-tls"), tlsFiles(client));
    clientTrust = mount(dir.resolve("client-trust"), Map.of("ca.crt", bundle(ca)));
  }

  @ParameterizedTest
  @EnumSource(ClientKind.class)
  void aClientRemovedFromTheCandidateMapIsRefusedOnItsNextPrivilegedCallThoughItCouldResume(ClientKind kind)
      throws Exception {
    SSLContext clientContext = clientContext(kind, ca);
    try (Server privileged = new Server(MemberTls.sslContext(serverTls, serverTrust, true))) {
      assertThat(call(clientContext, privileged).getSerialNumber()).isEqualTo(server.serial());

      mount(serverTrust, Map.of("ca.crt", bundle(ca), "crl.pem", crl(ca), "candidate-map.json", candidateMap()));

      assertThatThrownBy(() -> call(clientContext, privileged)).isInstanceOf(IOException.class);
      privileged.awaitFailure("not in the candidate map");
    }
  }

  @ParameterizedTest
  @EnumSource(ClientKind.class)
  void aClientWhoseSerialIsPutOnTheCrlIsRefusedOnItsNextCallThoughItCouldResume(ClientKind kind) throws Exception {
    SSLContext clientContext = clientContext(kind, ca);
    try (Server peers = new Server(MemberTls.sslContext(serverTls, serverTrust, false))) {
      assertThat(call(clientContext, peers).getSerialNumber()).isEqualTo(server.serial());

      mount(serverTrust, Map.of("ca.crt", bundle(ca), "crl.pem", crl(ca, client.serial()),
          "candidate-map.json", candidateMap(client)));

      assertThatThrownBy(() -> call(clientContext, peers)).isInstanceOf(IOException.class);
      peers.awaitFailure("is revoked");
    }
  }

  @ParameterizedTest
  @EnumSource(ClientKind.class)
  void aServerWhoseCertificateRotatedToANewCaPresentsTheNewOneOnTheNextConnection(ClientKind kind) throws Exception {
    CertificateAuthority next = TestPki.ca("sgd CA g2");
    Leaf rotated = TestPki.leaf(next, SERVER);
    mount(clientTrust, Map.of("ca.crt", bundle(ca, next)));
    mount(serverTrust, Map.of("ca.crt", bundle(ca, next), "crl.pem", crl(ca), "candidate-map.json", candidateMap()));
    SSLContext clientContext = clientContext(kind, ca, next);
    try (Server peers = new Server(MemberTls.sslContext(serverTls, serverTrust, false))) {
      assertThat(call(clientContext, peers).getSerialNumber()).isEqualTo(server.serial());

      mount(serverTls, tlsFiles(rotated));

      X509Certificate presented = call(clientContext, peers);
      assertThat(presented.getSerialNumber()).isEqualTo(rotated.serial());
      assertThat(presented.getIssuerX500Principal()).isEqualTo(next.certificate().getSubjectX500Principal());
    }
  }

  @Test
  void aServerCaRemovedFromTheClientsBundleIsRefusedOnTheNextCall() throws Exception {
    SSLContext clientContext = MemberTls.sslContext(clientTls, clientTrust, false);
    try (Server peers = new Server(MemberTls.sslContext(serverTls, serverTrust, false))) {
      call(clientContext, peers);

      mount(clientTrust, Map.of("ca.crt", bundle(TestPki.ca("unrelated CA"))));

      assertThatThrownBy(() -> call(clientContext, peers)).isInstanceOf(IOException.class)
          .satisfies(e -> assertThat(causes(e)).contains("unable to find valid certification path"));
    }
  }

  /**
   * The control: the plain JDK client does resume (its second handshake with a plain JDK server
   * calls the server's trust manager no more), so the tests above would see resumption if member
   * servers allowed it; the member library's client makes a full handshake every time.
   */
  @Test
  void aPlainJdkClientResumesWhereTheMemberLibrarysClientMakesAFullHandshakeEveryTime() throws Exception {
    CountingTrustManager plainServerTrust = new CountingTrustManager(pkix(ca));
    SSLContext plainServer = SSLContext.getInstance("TLS");
    plainServer.init(keyManagers(server), new TrustManager[] {plainServerTrust}, null);
    try (Server jdk = new Server(plainServer)) {
      SSLContext plainClient = clientContext(ClientKind.PLAIN_JDK, ca);
      call(plainClient, jdk);
      call(plainClient, jdk);
      assertThat(plainServerTrust.clientChecks).as("client certificate checks for two plain JDK calls").hasValue(1);

      plainServerTrust.clientChecks.set(0);
      SSLContext member = clientContext(ClientKind.MEMBER_LIBRARY, ca);
      call(member, jdk);
      call(member, jdk);
      call(member, jdk);
      assertThat(plainServerTrust.clientChecks).as("client certificate checks for three member calls").hasValue(3);
    }
  }

  /** A client context for {@code kind}; the plain JDK one trusts {@code trusted}, the library's its ca.crt. */
  private SSLContext clientContext(ClientKind kind, CertificateAuthority... trusted) throws Exception {
    if (kind == ClientKind.MEMBER_LIBRARY) {
      return MemberTls.sslContext(clientTls, clientTrust, false);
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keyManagers(client), new TrustManager[] {pkix(trusted)}, null);
    return context;
  }

  private static javax.net.ssl.KeyManager[] keyManagers(Leaf leaf) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("leaf", KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(leaf.key().getEncoded())),
        new char[0], new X509Certificate[] {leaf.certificate()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
    kmf.init(keys, new char[0]);
    return kmf.getKeyManagers();
  }

  private static X509ExtendedTrustManager pkix(CertificateAuthority... cas) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    for (int i = 0; i < cas.length; i++) {
      store.setCertificateEntry("ca-" + i, cas[i].certificate());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(store);
    return (X509ExtendedTrustManager) tmf.getTrustManagers()[0];
  }

  /**
   * One call as a member makes it: a new TCP connection, SNI and hostname verification for the
   * server's DNS name, then one byte from the server. Returns the certificate the server presented.
   */
  static X509Certificate call(SSLContext context, Server server) throws IOException {
    try (Socket raw = new Socket()) {
      raw.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 5_000);
      raw.setSoTimeout(5_000);
      try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(raw, SERVER, server.port(), true)) {
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        InputStream in = socket.getInputStream();
        if (in.read() != 1) {
          throw new IOException("the server sent nothing after the handshake");
        }
        return (X509Certificate) socket.getSession().getPeerCertificates()[0];
      }
    }
  }

  /** A loopback server requiring client certificates: each connection gets one byte, then closes. */
  static final class Server implements AutoCloseable {
    final SSLServerSocket listener;
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final Thread thread;

    Server(SSLContext context) throws IOException {
      listener = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 10,
          InetAddress.getLoopbackAddress());
      listener.setNeedClientAuth(true);
      thread = new Thread(this::serve, "test-tls-server");
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return listener.getLocalPort();
    }

    /** The server records a failed handshake a moment after the client saw its alert. */
    void awaitFailure(String reason) {
      Awaitility.await().atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertThat(failures).anySatisfy(f -> assertThat(f).contains(reason)));
    }

    private void serve() {
      while (!listener.isClosed()) {
        try (Socket accepted = listener.accept()) {
          try {
            accepted.setSoTimeout(5_000);
            ((SSLSocket) accepted).startHandshake();
            OutputStream out = accepted.getOutputStream();
            out.write(1);
            out.flush();
          } catch (IOException e) {
            failures.add(causes(e));
          }
        } catch (IOException e) {
          return; // closed
        }
      }
    }

    @Override
    public void close() throws Exception {
      listener.close();
      thread.join(5_000);
    }
  }

  static String causes(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      all.append(t).append(" / ");
    }
    return all.toString();
  }

  /** A trust manager that counts the client certificate checks a server makes. */
  static final class CountingTrustManager extends X509ExtendedTrustManager {
    final AtomicInteger clientChecks = new AtomicInteger();
    private final X509ExtendedTrustManager delegate;

    CountingTrustManager(X509ExtendedTrustManager delegate) {
      this.delegate = delegate;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      clientChecks.incrementAndGet();
      delegate.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      clientChecks.incrementAndGet();
      delegate.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      clientChecks.incrementAndGet();
      delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      delegate.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      delegate.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      delegate.checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }
  }
}
