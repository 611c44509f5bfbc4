package io.arraypki.operator.pki;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * What a node's certificate signing request asks for, and whether the operator may sign it:
 * names within the node's, no CA rights, a key within policy, a valid self-signature.
 */
public final class CsrPolicy {
  private CsrPolicy() {}

  /** The parts of a CSR that matter. */
  public record Request(String commonName, List<String> dnsNames, List<String> ipAddresses, List<String> uris,
      PublicKey publicKey, boolean asksForCa, boolean signatureValid) {}

  public static Request parse(String pem) {
    PKCS10CertificationRequest csr = Pem.csr(pem, "the request");
    try {
      JcaPKCS10CertificationRequest jca = new JcaPKCS10CertificationRequest(csr).setProvider(Crypto.PROVIDER);
      PublicKey key = jca.getPublicKey();
      boolean valid = csr.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(Crypto.PROVIDER).build(key));
      RDN[] cns = csr.getSubject().getRDNs(BCStyle.CN);
      String cn = cns.length == 0 ? "" : IETFUtils.valueToString(cns[0].getFirst().getValue());
      List<String> dns = new ArrayList<>();
      List<String> ips = new ArrayList<>();
      List<String> uris = new ArrayList<>();
      boolean ca = false;
      for (var attribute : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
        Extensions extensions = Extensions.getInstance(attribute.getAttrValues().getObjectAt(0));
        GeneralNames names = GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
        if (names != null) {
          for (GeneralName name : names.getNames()) {
            if (name.getTagNo() == GeneralName.dNSName) {
              dns.add(name.getName().toString());
            } else if (name.getTagNo() == GeneralName.iPAddress) {
              byte[] raw = org.bouncycastle.asn1.DEROctetString.getInstance(name.getName()).getOctets();
              ips.add(InetAddress.getByAddress(raw).getHostAddress());
            } else if (name.getTagNo() == GeneralName.uniformResourceIdentifier) {
              uris.add(name.getName().toString());
            } else {
              dns.add("unsupported-name:" + name.getTagNo());
            }
          }
        }
        BasicConstraints bc = BasicConstraints.fromExtensions(extensions);
        ca |= bc != null && bc.isCA();
      }
      return new Request(cn, dns, ips, uris, key, ca, valid);
    } catch (Exception e) {
      throw new PkiException("the request cannot be read", e);
    }
  }

  /**
   * Why the request must be refused, as "Reason: message", or empty when it may be signed.
   *
   * @param usages the CSR object's spec.usages
   */
  public static Optional<String> refusal(Request request, String peerDNSName, List<String> dnsNames,
      List<String> ipAddresses, List<String> usages) {
    if (!request.signatureValid()) {
      return Optional.of("BadSignature: the request's signature does not verify with its own key");
    }
    if (request.asksForCa() || usages.contains("cert sign") || usages.contains("crl sign")) {
      return Optional.of("CARequested: a node may not ask for CA rights");
    }
    List<String> allowedDns = new ArrayList<>(dnsNames);
    allowedDns.add(peerDNSName);
    for (String dns : request.dnsNames()) {
      if (!allowedDns.contains(dns)) {
        return Optional.of("NamesNotAllowed: " + dns + " is not one of the node's names " + allowedDns);
      }
    }
    if (!request.uris().isEmpty()) {
      return Optional.of("NamesNotAllowed: " + request.uris().get(0) + ": a node's certificate carries no URI names");
    }
    List<String> allowedIps = ipAddresses.stream().map(CsrPolicy::canonical).toList();
    for (String ip : request.ipAddresses()) {
      if (!allowedIps.contains(canonical(ip))) {
        return Optional.of("NamesNotAllowed: " + ip + " is not one of the node's addresses " + ipAddresses);
      }
    }
    if (!usages.contains("server auth") && !usages.contains("client auth")) {
      return Optional.of("UsagesNotAllowed: usages must include server auth (peer) or client auth (client)");
    }
    return weakKey(request);
  }

  /** The key policy of every key the operator certifies but does not make: "WeakKey: ..." or empty. */
  public static Optional<String> weakKey(Request request) {
    try {
      KeySpec spec = KeyPairs.specOf(request.publicKey());
      if (spec.algorithm() == KeySpec.Algorithm.RSA && spec.size() < 2048) {
        return Optional.of("WeakKey: RSA keys need at least 2048 bits");
      }
    } catch (PkiException e) {
      return Optional.of("WeakKey: " + e.getMessage());
    }
    return Optional.empty();
  }

  static String canonical(String ip) {
    try {
      return ip.matches("[0-9A-Fa-f:.]+") ? InetAddress.getByName(ip).getHostAddress() : ip;
    } catch (UnknownHostException e) {
      return ip;
    }
  }
}
