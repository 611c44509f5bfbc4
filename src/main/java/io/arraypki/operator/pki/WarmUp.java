package io.arraypki.operator.pki;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Makes and reads back a throwaway CA, key and CRL once, at startup, before the operator says it
 * is ready. The first use of Bouncy Castle loads and verifies its signed jar and registers the
 * provider: seconds on a busy small machine, which the first array's CA would otherwise wait.
 */
public final class WarmUp {
  private WarmUp() {}

  /** @return how long it took */
  public static Duration run(Instant now) {
    long start = System.nanoTime();
    KeyPair keys = KeyPairs.generate(KeySpec.ECDSA_P256);
    X509Certificate certificate = CertificateIssuer.selfSignedCa(CaSubject.of("arraypki-operator warm-up"), keys,
        now, now.plus(Duration.ofHours(1)));
    CertificateAuthority ca = CertificateAuthority.selfSigned(
        Pem.certificate(Pem.encode(certificate), "warm-up certificate"),
        Pem.privateKey(Pem.encodePrivateKey(keys.getPrivate()), "warm-up key"));
    if (!KeyPairs.matches(ca.key(), ca.certificate().getPublicKey())) {
      throw new PkiException("the warm-up key does not match its certificate");
    }
    Crls.issue(ca, 1, List.of(), BigInteger.ONE, now, Duration.ofHours(1));
    return Duration.ofNanos(System.nanoTime() - start);
  }
}
