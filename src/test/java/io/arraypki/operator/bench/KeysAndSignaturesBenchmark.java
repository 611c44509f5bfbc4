package io.arraypki.operator.bench;

import io.arraypki.operator.pki.Crypto;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.Security;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Key generation and signing per algorithm, Bouncy Castle against the JDK's providers
 * (SunRsaSign, SunEC), with the operator's random source: what issuing one member costs in CPU.
 * Run by {@code e2e/bench.sh --jmh}; the operator's choice per algorithm is in
 * {@link Crypto#fastestProvider}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class KeysAndSignaturesBenchmark {
  @Param({"RSA-2048", "RSA-3072", "RSA-4096", "P-256", "P-384", "Ed25519"})
  public String algorithm;

  @Param({"BC", "JDK"})
  public String provider;

  /** A certificate's to-be-signed part is about this long for a member with a few names. */
  private final byte[] toBeSigned = new byte[600];

  private KeyPair keyPair;

  @Setup
  public void setUp() throws GeneralSecurityException {
    keyPair = generateKey();
  }

  @Benchmark
  public KeyPair generateKey() throws GeneralSecurityException {
    KeyPairGenerator generator;
    if (algorithm.startsWith("RSA")) {
      generator = KeyPairGenerator.getInstance("RSA", provider());
      generator.initialize(Integer.parseInt(algorithm.substring(4)), Crypto.random());
    } else if (algorithm.startsWith("P-")) {
      generator = KeyPairGenerator.getInstance("EC", provider());
      generator.initialize(new ECGenParameterSpec(algorithm.equals("P-384") ? "secp384r1" : "secp256r1"),
          Crypto.random());
    } else {
      generator = KeyPairGenerator.getInstance("Ed25519", provider());
      generator.initialize(255, Crypto.random());
    }
    return generator.generateKeyPair();
  }

  @Benchmark
  public byte[] signCertificate() throws GeneralSecurityException {
    String name = algorithm.startsWith("RSA") ? "SHA256withRSA"
        : algorithm.equals("P-384") ? "SHA384withECDSA" : algorithm.startsWith("P-") ? "SHA256withECDSA" : "Ed25519";
    Signature signature = Signature.getInstance(name, provider());
    signature.initSign(keyPair.getPrivate(), Crypto.random());
    signature.update(toBeSigned);
    return signature.sign();
  }

  private Provider provider() {
    if (provider.equals("BC")) {
      return Crypto.PROVIDER;
    }
    return Security.getProvider(algorithm.startsWith("RSA") ? "SunRsaSign" : "SunEC");
  }
}
