package io.arraypki.operator.pki;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;

/**
 * PKCS#12 and JKS keystores (key and chain) and truststores (the CA bundle) for JVM members,
 * written with the JDK's own providers (PKCS#12: AES-256 and PBKDF2 with HMAC-SHA-256), so that
 * any JVM loads them.
 */
public final class Keystores {
  public static final String KEY_ALIAS = "certificate";

  private Keystores() {}

  /** The type: "PKCS12" or "JKS". */
  public static byte[] keystore(String type, List<X509Certificate> chain, PrivateKey key, char[] password) {
    try {
      KeyStore store = KeyStore.getInstance(type);
      store.load(null, password);
      store.setKeyEntry(KEY_ALIAS, jdkKey(key), password, jdkCertificates(chain).toArray(Certificate[]::new));
      return write(store, password);
    } catch (GeneralSecurityException | IOException e) {
      throw new PkiException("cannot write a " + type + " keystore", e);
    }
  }

  public static byte[] truststore(String type, List<X509Certificate> bundle, char[] password) {
    try {
      KeyStore store = KeyStore.getInstance(type);
      store.load(null, password);
      int i = 0;
      for (Certificate ca : jdkCertificates(bundle)) {
        store.setCertificateEntry("ca-" + i++, ca);
      }
      return write(store, password);
    } catch (GeneralSecurityException | IOException e) {
      throw new PkiException("cannot write a " + type + " truststore", e);
    }
  }

  /** The same key through the JDK's own provider. */
  public static PrivateKey jdkKey(PrivateKey key) throws GeneralSecurityException {
    String algorithm = switch (key.getAlgorithm()) {
      case "ECDSA", "EC" -> "EC";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> key.getAlgorithm();
    };
    return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
  }

  private static List<Certificate> jdkCertificates(List<X509Certificate> certificates)
      throws GeneralSecurityException {
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    List<Certificate> result = new java.util.ArrayList<>();
    for (X509Certificate c : certificates) {
      result.add(factory.generateCertificate(new java.io.ByteArrayInputStream(c.getEncoded())));
    }
    return result;
  }

  private static byte[] write(KeyStore store, char[] password) throws GeneralSecurityException, IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    store.store(out, password);
    return out.toByteArray();
  }
}
