package io.arraypki.operator.pki;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A CA brought by the user (bring your own CA): its tls.crt (the issuing CA, then further
 * intermediates), tls.key and ca.crt (the root), checked before any use. The problem, if any,
 * is said in words that name what is wrong and never echo key material.
 */
public final class ExternalIssuer {
  private ExternalIssuer() {}

  /** Either a usable CA (with a warning when it ends before a leaf would) or a problem. */
  public record Check(CertificateAuthority ca, String hash, String problem, String warning) {
    public boolean valid() {
      return problem == null;
    }
  }

  public static Check check(String chainPem, String keyPem, String rootPem, Instant now, Duration leafDuration) {
    if (chainPem == null || keyPem == null || rootPem == null) {
      List<String> missing = new ArrayList<>();
      if (chainPem == null) {
        missing.add("tls.crt");
      }
      if (keyPem == null) {
        missing.add("tls.key");
      }
      if (rootPem == null) {
        missing.add("ca.crt");
      }
      return invalid("the issuer Secret has no " + String.join(", ", missing));
    }
    List<X509Certificate> chain;
    PrivateKey key;
    X509Certificate root;
    try {
      chain = new ArrayList<>(Pem.certificates(chainPem, "tls.crt"));
      key = Pem.privateKey(keyPem, "tls.key");
      root = Pem.certificate(rootPem, "ca.crt");
    } catch (PkiException e) {
      return invalid(e.getMessage());
    }
    X509Certificate issuing = chain.get(0);
    if (issuing.getBasicConstraints() < 0) {
      return invalid("tls.crt is not a CA certificate (basicConstraints CA:FALSE)");
    }
    boolean[] usage = issuing.getKeyUsage();
    if (usage != null && !usage[5]) {
      return invalid("tls.crt may not sign certificates (keyUsage lacks keyCertSign)");
    }
    if (!KeyPairs.matches(key, issuing.getPublicKey())) {
      return invalid("tls.key is not the key of the certificate in tls.crt");
    }
    if (now.isAfter(issuing.getNotAfter().toInstant())) {
      return invalid("tls.crt expired at " + issuing.getNotAfter().toInstant());
    }
    if (now.isBefore(issuing.getNotBefore().toInstant())) {
      return invalid("tls.crt is not valid before " + issuing.getNotBefore().toInstant());
    }
    if (chain.size() > 1 && chain.get(chain.size() - 1).equals(root)) {
      chain.remove(chain.size() - 1);
    }
    for (int i = 0; i < chain.size(); i++) {
      X509Certificate parent = i + 1 < chain.size() ? chain.get(i + 1) : root;
      if (!LeafDecision.signedBy(chain.get(i), parent)) {
        return invalid("the chain does not reach ca.crt: " + chain.get(i).getSubjectX500Principal().getName()
            + " is not signed by " + parent.getSubjectX500Principal().getName());
      }
    }
    CertificateAuthority ca = new CertificateAuthority(issuing, key, chain.subList(1, chain.size()), root);
    String warning = issuing.getNotAfter().toInstant().isBefore(now.plus(leafDuration))
        ? "the issuer expires at " + issuing.getNotAfter().toInstant() + ", before a leaf's full duration: leaves are"
            + " cut to its end"
        : null;
    return new Check(ca, hash(chainPem + rootPem + keyPem), null, warning);
  }

  private static Check invalid(String problem) {
    return new Check(null, null, problem, null);
  }

  private static String hash(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, 32);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
