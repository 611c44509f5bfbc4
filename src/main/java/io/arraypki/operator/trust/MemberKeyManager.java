package io.arraypki.operator.trust;

import io.arraypki.operator.pki.KeyPairs;
import io.arraypki.operator.pki.Keystores;
import io.arraypki.operator.pki.Pem;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/** Serves the mounted tls.crt (leaf, then chain) and tls.key, reloading them when they change. */
public final class MemberKeyManager extends X509ExtendedKeyManager {
  private static final String ALIAS = "member-";
  private static final AtomicLong VERSIONS = new AtomicLong();
  private final MountedFiles<Identity> identity;
  /** The identity before the current one: a handshake that chose it still gets a matching pair. */
  private volatile Identity previous;

  /** One pair of chain and key; the alias names its version so that a reload mid-handshake is harmless. */
  private record Identity(X509Certificate[] chain, PrivateKey key, String alias) {}

  public MemberKeyManager(Path tlsDirectory) {
    this.identity = new MountedFiles<>(MemberKeyManager::parse,
        tlsDirectory.resolve("tls.crt"), tlsDirectory.resolve("tls.key"));
    this.identity.onChange((old, fresh) -> previous = old);
  }

  private static Identity parse(byte[][] files) {
    if (files[0] == null || files[1] == null) {
      throw new IllegalStateException("tls.crt or tls.key is not mounted");
    }
    try {
      X509Certificate[] chain = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(files[0])).stream()
          .map(c -> (X509Certificate) c).toArray(X509Certificate[]::new);
      PrivateKey parsed = Pem.privateKey(new String(files[1], StandardCharsets.UTF_8), "tls.key");
      if (!KeyPairs.matches(parsed, chain[0].getPublicKey())) {
        // caught between two files of an update: keep the previous pair until both are new
        throw new IllegalStateException("tls.key does not belong to tls.crt");
      }
      return new Identity(chain, jdkKey(parsed), ALIAS + VERSIONS.incrementAndGet());
    } catch (CertificateException e) {
      throw new IllegalStateException("tls.crt cannot be read", e);
    }
  }

  /** The same key through the JDK's own provider, so that SunJSSE signs with it as with any key. */
  static PrivateKey jdkKey(PrivateKey key) {
    try {
      return Keystores.jdkKey(key);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot load a " + key.getAlgorithm() + " key", e);
    }
  }

  private Identity current() {
    return identity.get();
  }

  /**
   * The chain served now, leaf first (read again if tls.crt or tls.key changed); an
   * IllegalStateException while the files cannot be loaded.
   */
  public List<X509Certificate> certificateChain() {
    return List.of(current().chain());
  }

  private Identity byAlias(String alias) {
    Identity now = identity.get();
    if (now.alias().equals(alias)) {
      return now;
    }
    Identity old = previous;
    return old != null && old.alias().equals(alias) ? old : null;
  }

  /** Whether the mounted key is of the type JSSE asks for ("EC", "RSA", "EdDSA", ...). */
  private boolean offers(String keyType) {
    String algorithm = switch (current().key().getAlgorithm()) {
      case "EC" -> "EC";
      case "Ed25519", "EdDSA" -> "EdDSA";
      default -> "RSA";
    };
    return keyType != null && keyType.equalsIgnoreCase(algorithm);
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return offers(keyType) ? new String[] {current().alias()} : null;
  }

  @Override
  public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
    for (String type : keyTypes) {
      if (offers(type)) {
        return current().alias();
      }
    }
    return null;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
    return chooseClientAlias(keyTypes, issuers, null);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return getClientAliases(keyType, issuers);
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return offers(keyType) ? current().alias() : null;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return chooseServerAlias(keyType, issuers, null);
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    Identity id = byAlias(alias);
    return id == null ? null : id.chain().clone();
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    Identity id = byAlias(alias);
    return id == null ? null : id.key();
  }
}
