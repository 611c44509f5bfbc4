package io.arraypki.operator.pki;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.util.io.pem.PemObject;

/** PEM in and out. Parse errors name what was expected, never echo the input. */
public final class Pem {
  private static final int MAX_PEM_CHARS = 1 << 20;

  private Pem() {}

  public static String encode(Object... objects) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      for (Object o : objects) {
        if (o instanceof List<?> list) {
          for (Object item : list) {
            writer.writeObject(item);
          }
        } else {
          writer.writeObject(o);
        }
      }
    } catch (IOException e) {
      throw new PkiException("cannot write PEM", e);
    }
    return out.toString();
  }

  /**
   * A private key as unencrypted PKCS#8 v1 ("PRIVATE KEY"), readable by Java, Go and OpenSSL.
   * Bouncy Castle writes Ed25519 keys as v2 (with the public key), which OpenSSL 3 cannot load.
   */
  public static String encodePrivateKey(PrivateKey key) {
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
    try {
      PrivateKeyInfo v1 =
          new PrivateKeyInfo(info.getPrivateKeyAlgorithm(), info.parsePrivateKey(), info.getAttributes());
      return encode(new PemObject("PRIVATE KEY", v1.getEncoded()));
    } catch (IOException e) {
      throw new PkiException("cannot encode private key", e);
    }
  }

  /** Every certificate in the PEM text, in order; an error if there is none or garbage. */
  public static List<X509Certificate> certificates(String pem, String what) {
    List<X509Certificate> certificates = new ArrayList<>();
    for (Object o : objects(pem, what)) {
      if (!(o instanceof X509CertificateHolder holder)) {
        throw new PkiException(what + " holds a PEM block that is not a certificate");
      }
      try {
        certificates.add(new JcaX509CertificateConverter().setProvider(Crypto.PROVIDER).getCertificate(holder));
      } catch (CertificateException e) {
        throw new PkiException(what + " holds a certificate that cannot be read", e);
      }
    }
    if (certificates.isEmpty()) {
      throw new PkiException(what + " holds no PEM certificate");
    }
    return certificates;
  }

  public static X509Certificate certificate(String pem, String what) {
    return certificates(pem, what).get(0);
  }

  public static PrivateKey privateKey(String pem, String what) {
    List<Object> objects = objects(pem, what);
    if (objects.size() != 1) {
      throw new PkiException(what + " must hold exactly one PEM private key");
    }
    try {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter().setProvider(Crypto.PROVIDER);
      Object o = objects.get(0);
      if (o instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      if (o instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
    } catch (IOException | RuntimeException e) {
      throw new PkiException(what + " holds a private key that cannot be read");
    }
    throw new PkiException(what + " holds no unencrypted PEM private key");
  }

  public static PKCS10CertificationRequest csr(String pem, String what) {
    List<Object> objects = objects(pem, what);
    if (objects.size() != 1 || !(objects.get(0) instanceof PKCS10CertificationRequest csr)) {
      throw new PkiException(what + " must hold exactly one PEM certificate request");
    }
    return csr;
  }

  public static List<X509CRLHolder> crls(String pem, String what) {
    List<X509CRLHolder> crls = new ArrayList<>();
    for (Object o : objects(pem, what)) {
      if (!(o instanceof X509CRLHolder crl)) {
        throw new PkiException(what + " holds a PEM block that is not a CRL");
      }
      crls.add(crl);
    }
    return crls;
  }

  static String encodeCrl(X509CRL crl) {
    return encode(crl);
  }

  private static List<Object> objects(String pem, String what) {
    if (pem == null || pem.isBlank()) {
      throw new PkiException(what + " is empty");
    }
    if (pem.length() > MAX_PEM_CHARS) {
      throw new PkiException(what + " is larger than 1 MiB");
    }
    List<Object> objects = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object o;
      while ((o = parser.readObject()) != null) {
        objects.add(o);
      }
    } catch (IOException | RuntimeException e) {
      throw new PkiException(what + " is not valid PEM");
    }
    if (objects.isEmpty()) {
      throw new PkiException(what + " holds no PEM block");
    }
    return objects;
  }
}
