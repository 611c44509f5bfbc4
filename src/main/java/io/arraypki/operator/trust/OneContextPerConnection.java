package io.arraypki.operator.trust;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.security.GeneralSecurityException;
import java.security.KeyManagementException;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * The SSLContext of a member: each connection (client socket, accepted server connection,
 * engine) is made by a JDK SSLContext of its own over the shared key and trust managers.
 *
 * <p>Why: a JDK context resumes TLS 1.3 sessions, and a resumed handshake neither calls the trust
 * manager nor sends a certificate, so a client removed from the candidate map or revoked was
 * still accepted, and a rotated server kept presenting its old certificate. Invalidating the
 * session caches when the files change does not help on the server: JDK 17 issues stateless
 * session tickets by default (only a global system property turns them off), which no cache
 * holds. A fresh context has an empty client cache, so it offers no session, and its own
 * ticket keys, so it can decrypt no ticket another context issued: every handshake is a full
 * one, chooses the certificate and checks the peer against the files as they are at that moment
 * (the key and trust managers read them in the handshake). No session outlives its connection;
 * the session contexts this context reports stay empty, so there is nothing to invalidate.
 *
 * <p>The price is a full handshake per connection (an ECDHE and a signature each side, and the
 * chain checks), and a new SSLContext (a few small objects). Members call each other rarely
 * enough for that, and resumption is not worth accepting a demoted or revoked peer.
 */
final class OneContextPerConnection extends SSLContextSpi {
  private static final String PROTOCOL = "TLS";
  private final KeyManager[] keyManagers;
  private final TrustManager[] trustManagers;
  private final SecureRandom random = new SecureRandom();
  /** Answers the questions about defaults and supported parameters; makes no connection. */
  private final SSLContext template;

  private OneContextPerConnection(KeyManager keyManager, TrustManager trustManager) throws GeneralSecurityException {
    this.keyManagers = new KeyManager[] {keyManager};
    this.trustManagers = new TrustManager[] {trustManager};
    this.template = SSLContext.getInstance(PROTOCOL);
    template.init(keyManagers, trustManagers, random);
  }

  static SSLContext create(KeyManager keyManager, TrustManager trustManager) throws GeneralSecurityException {
    OneContextPerConnection spi = new OneContextPerConnection(keyManager, trustManager);
    return new SSLContext(spi, spi.template.getProvider(), PROTOCOL) {};
  }

  /** The context of one connection. */
  private SSLContext fresh() {
    try {
      SSLContext context = SSLContext.getInstance(PROTOCOL, template.getProvider());
      context.init(keyManagers, trustManagers, random);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot create the TLS context of a connection", e);
    }
  }

  @Override
  protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException {
    throw new KeyManagementException("a member's SSLContext is initialized by MemberTls");
  }

  @Override
  protected SSLSocketFactory engineGetSocketFactory() {
    return new SSLSocketFactory() {
      private SSLSocketFactory factory() {
        return fresh().getSocketFactory();
      }

      @Override
      public Socket createSocket() throws IOException {
        return factory().createSocket();
      }

      @Override
      public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
        return factory().createSocket(s, host, port, autoClose);
      }

      @Override
      public Socket createSocket(Socket s, InputStream consumed, boolean autoClose) throws IOException {
        return factory().createSocket(s, consumed, autoClose);
      }

      @Override
      public Socket createSocket(String host, int port) throws IOException {
        return factory().createSocket(host, port);
      }

      @Override
      public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return factory().createSocket(host, port, localHost, localPort);
      }

      @Override
      public Socket createSocket(InetAddress host, int port) throws IOException {
        return factory().createSocket(host, port);
      }

      @Override
      public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
          throws IOException {
        return factory().createSocket(address, port, localAddress, localPort);
      }

      @Override
      public String[] getDefaultCipherSuites() {
        return template.getSocketFactory().getDefaultCipherSuites();
      }

      @Override
      public String[] getSupportedCipherSuites() {
        return template.getSocketFactory().getSupportedCipherSuites();
      }
    };
  }

  @Override
  protected SSLServerSocketFactory engineGetServerSocketFactory() {
    return new SSLServerSocketFactory() {
      @Override
      public ServerSocket createServerSocket() throws IOException {
        return new Listener();
      }

      @Override
      public ServerSocket createServerSocket(int port) throws IOException {
        return new Listener(port, 50, null);
      }

      @Override
      public ServerSocket createServerSocket(int port, int backlog) throws IOException {
        return new Listener(port, backlog, null);
      }

      @Override
      public ServerSocket createServerSocket(int port, int backlog, InetAddress address) throws IOException {
        return new Listener(port, backlog, address);
      }

      @Override
      public String[] getDefaultCipherSuites() {
        return template.getServerSocketFactory().getDefaultCipherSuites();
      }

      @Override
      public String[] getSupportedCipherSuites() {
        return template.getServerSocketFactory().getSupportedCipherSuites();
      }
    };
  }

  @Override
  protected SSLEngine engineCreateSSLEngine() {
    return fresh().createSSLEngine();
  }

  @Override
  protected SSLEngine engineCreateSSLEngine(String host, int port) {
    return fresh().createSSLEngine(host, port);
  }

  @Override
  protected SSLSessionContext engineGetServerSessionContext() {
    return template.getServerSessionContext();
  }

  @Override
  protected SSLSessionContext engineGetClientSessionContext() {
    return template.getClientSessionContext();
  }

  @Override
  protected SSLParameters engineGetDefaultSSLParameters() {
    return template.getDefaultSSLParameters();
  }

  @Override
  protected SSLParameters engineGetSupportedSSLParameters() {
    return template.getSupportedSSLParameters();
  }

  /**
   * A listening socket whose accepted connections each get a fresh context. Its settings (client
   * auth, protocols, cipher suites, any SSLParameters) are kept in an engine that never
   * handshakes, so that the JDK copies and validates them as it does for its own server sockets,
   * and they are given to every accepted connection.
   */
  private final class Listener extends SSLServerSocket {
    private final SSLEngine settings = serverSettings();

    Listener() throws IOException {
      super();
    }

    Listener(int port, int backlog, InetAddress address) throws IOException {
      super(port, backlog, address);
    }

    private SSLEngine serverSettings() {
      SSLEngine engine = template.createSSLEngine();
      engine.setUseClientMode(false);
      return engine;
    }

    @Override
    public Socket accept() throws IOException {
      if (isClosed()) {
        throw new SocketException("Socket is closed");
      }
      if (!isBound()) {
        throw new SocketException("Socket is not bound yet");
      }
      Socket plain = new Socket();
      implAccept(plain);
      try {
        // a server-mode socket over the accepted connection, of a context of its own
        SSLSocket socket = (SSLSocket) fresh().getSocketFactory().createSocket(plain, null, true);
        socket.setUseClientMode(settings.getUseClientMode());
        socket.setSSLParameters(settings.getSSLParameters());
        socket.setEnableSessionCreation(settings.getEnableSessionCreation());
        return socket;
      } catch (IOException | RuntimeException e) {
        plain.close();
        throw e;
      }
    }

    @Override
    public SSLParameters getSSLParameters() {
      return settings.getSSLParameters();
    }

    @Override
    public void setSSLParameters(SSLParameters parameters) {
      settings.setSSLParameters(parameters);
    }

    @Override
    public String[] getEnabledCipherSuites() {
      return settings.getEnabledCipherSuites();
    }

    @Override
    public void setEnabledCipherSuites(String[] suites) {
      settings.setEnabledCipherSuites(suites);
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return settings.getSupportedCipherSuites();
    }

    @Override
    public String[] getSupportedProtocols() {
      return settings.getSupportedProtocols();
    }

    @Override
    public String[] getEnabledProtocols() {
      return settings.getEnabledProtocols();
    }

    @Override
    public void setEnabledProtocols(String[] protocols) {
      settings.setEnabledProtocols(protocols);
    }

    @Override
    public void setNeedClientAuth(boolean need) {
      settings.setNeedClientAuth(need);
    }

    @Override
    public boolean getNeedClientAuth() {
      return settings.getNeedClientAuth();
    }

    @Override
    public void setWantClientAuth(boolean want) {
      settings.setWantClientAuth(want);
    }

    @Override
    public boolean getWantClientAuth() {
      return settings.getWantClientAuth();
    }

    @Override
    public void setUseClientMode(boolean mode) {
      settings.setUseClientMode(mode);
    }

    @Override
    public boolean getUseClientMode() {
      return settings.getUseClientMode();
    }

    @Override
    public void setEnableSessionCreation(boolean flag) {
      settings.setEnableSessionCreation(flag);
    }

    @Override
    public boolean getEnableSessionCreation() {
      return settings.getEnableSessionCreation();
    }

    @Override
    public String toString() {
      return "member TLS listener " + getLocalSocketAddress();
    }
  }
}
