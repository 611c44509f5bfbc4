package io.arraypki.operator.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;

/** Signs CA and leaf certificates with the profiles of the design (issue 2, DESIGN.md 1). */
public final class CertificateIssuer {
  private CertificateIssuer() {}

  /**
   * A self-signed CA: v3, basicConstraints critical CA:TRUE pathlen 0, keyUsage critical
   * keyCertSign + cRLSign, SKI, random serial.
   */
  public static X509Certificate selfSignedCa(
      CaSubject subject, KeyPair keys, Instant notBefore, Instant notAfter) {
    X500Name name = subject.toX500Name();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  name,
                  SerialNumbers.random(),
                  Date.from(notBefore),
                  Date.from(notAfter),
                  name,
                  keys.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
      return toCertificate(builder.build(Signatures.signer(keys.getPrivate(), keys.getPublic())));
    } catch (IOException | java.security.NoSuchAlgorithmException e) {
      throw new PkiException("cannot build CA certificate", e);
    }
  }

  /**
   * A leaf signed by the CA: CN and SANs as asked, basicConstraints critical CA:FALSE, keyUsage
   * critical digitalSignature (+ keyEncipherment for RSA keys), EKU, SKI and AKI. Its notAfter is
   * cut to the CA's so that it never outlives its issuer.
   */
  public static X509Certificate signLeaf(CertificateAuthority ca, LeafRequest request) {
    Instant caNotAfter = ca.certificate().getNotAfter().toInstant();
    Instant notAfter = request.notAfter().isAfter(caNotAfter) ? caNotAfter : request.notAfter();
    BigInteger serial = SerialNumbers.random();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      PublicKey key = request.publicKey();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()),
                  serial,
                  Date.from(request.notBefore()),
                  Date.from(notAfter),
                  leafSubject(request),
                  key)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(Extension.keyUsage, true, new KeyUsage(keyUsageFor(key)))
              .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key))
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  ext.createAuthorityKeyIdentifier(ca.certificate()));
      if (!request.usages().isEmpty()) {
        builder.addExtension(Extension.extendedKeyUsage, false, extendedKeyUsage(request));
      }
      GeneralNames names = subjectAltNames(request);
      if (names != null) {
        // RFC 5280 4.2.1.6: with an empty subject the SAN extension is critical
        builder.addExtension(Extension.subjectAlternativeName, emptySubject(request), names);
      }
      return toCertificate(builder.build(Signatures.signer(ca.key(), ca.certificate().getPublicKey())));
    } catch (CertIOException
        | java.security.NoSuchAlgorithmException
        | java.security.cert.CertificateEncodingException e) {
      throw new PkiException("cannot build leaf certificate", e);
    }
  }

  private static int keyUsageFor(PublicKey key) {
    int usage = KeyUsage.digitalSignature;
    if (KeyPairs.specOf(key).algorithm() == KeySpec.Algorithm.RSA) {
      usage |= KeyUsage.keyEncipherment;
    }
    return usage;
  }

  private static ExtendedKeyUsage extendedKeyUsage(LeafRequest request) {
    List<KeyPurposeId> purposes = new ArrayList<>();
    if (request.usages().contains(Usage.SERVER_AUTH)) {
      purposes.add(KeyPurposeId.id_kp_serverAuth);
    }
    if (request.usages().contains(Usage.CLIENT_AUTH)) {
      purposes.add(KeyPurposeId.id_kp_clientAuth);
    }
    return new ExtendedKeyUsage(purposes.toArray(KeyPurposeId[]::new));
  }

  /** No CN: none asked for (a client certificate may name itself by SANs alone), or too long for one. */
  private static boolean emptySubject(LeafRequest request) {
    return request.commonName().isEmpty() || !LeafRequest.fitsCommonName(request.commonName());
  }

  private static X500Name leafSubject(LeafRequest request) {
    X500NameBuilder subject = new X500NameBuilder(BCStyle.INSTANCE);
    if (!emptySubject(request)) {
      subject.addRDN(BCStyle.CN, request.commonName());
    }
    return subject.build();
  }

  private static GeneralNames subjectAltNames(LeafRequest request) {
    List<GeneralName> names = new ArrayList<>();
    for (String dns : request.dnsNames()) {
      names.add(new GeneralName(GeneralName.dNSName, dns));
    }
    for (String ip : request.ipAddresses()) {
      names.add(new GeneralName(GeneralName.iPAddress, ip));
    }
    for (String uri : request.uris()) {
      names.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
    }
    return names.isEmpty() ? null : new GeneralNames(names.toArray(GeneralName[]::new));
  }

  private static X509Certificate toCertificate(X509CertificateHolder holder) {
    try {
      return new JcaX509CertificateConverter().setProvider(Crypto.PROVIDER).getCertificate(holder);
    } catch (CertificateException e) {
      throw new PkiException("cannot convert certificate", e);
    }
  }
}
