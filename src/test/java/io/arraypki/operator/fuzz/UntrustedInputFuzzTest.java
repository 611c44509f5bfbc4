package io.arraypki.operator.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.arraypki.operator.k8s.Revocations;
import io.arraypki.operator.pki.CsrPolicy;
import io.arraypki.operator.pki.ExternalIssuer;
import io.arraypki.operator.pki.Fingerprints;
import io.arraypki.operator.pki.GoDuration;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.pki.PkiException;
import io.arraypki.operator.trust.CandidateMapFile;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Coverage-guided fuzzing (Jazzer) of every parser of input the operator does not control: PEM
 * (certificates, keys, CRLs), CSRs and the CSR policy, issuer Secret contents, fingerprint pins,
 * durations, the revocation ledger and superseded annotation, and the member library's
 * candidate-map.json. A parser may refuse input only with its documented exception (PkiException;
 * IllegalStateException for candidate-map.json); anything else, a hang or an out-of-memory is a
 * finding. One fuzz test (Jazzer fuzzes one per JVM) picks the parser from the first byte.
 *
 * <p>In the test command it runs for its maxDuration with JAZZER_FUZZ=1, in a JVM of its own (the
 * pom's surefire execution "fuzz": Jazzer's hooks stay in the JVM it fuzzed in); a longer run: {@code JAZZER_FUZZ=1 ./mvnw test -Dtest=UntrustedInputFuzzTest
 * -Djazzer.max_duration=30m}. Findings are written under src/test/resources as regression inputs.
 */
class UntrustedInputFuzzTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private static final X509Certificate CERTIFICATE = Pem.certificate(Seeds.CERTIFICATE, "seed");

  @FuzzTest(maxDuration = "60s")
  @DictionaryEntries({"-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----",
      "-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----", "-----BEGIN X509 CRL-----",
      "-----BEGIN CERTIFICATE REQUEST-----", "-----END CERTIFICATE REQUEST-----", "MII", "sha256:", "SHA256:",
      "h", "m", "s", "ms", "us", "ns", "\"serial\"", "\"entries\"", "\"certificateDigest\"", "\"caGeneration\""})
  void everyParserOfUntrustedInputRefusesBadInputOnlyWithItsOwnError(FuzzedDataProvider data) {
    int parser = data.consumeInt(0, 9);
    try {
      switch (parser) {
        case 0 -> Pem.certificates(data.consumeRemainingAsString(), "fuzz");
        case 1 -> Pem.privateKey(data.consumeRemainingAsString(), "fuzz");
        case 2 -> Pem.crls(data.consumeRemainingAsString(), "fuzz");
        case 3 -> {
          CsrPolicy.Request request = CsrPolicy.parse(data.consumeRemainingAsString());
          CsrPolicy.refusal(request, "node-0.example.com", List.of("node-0.example.com"), List.of("10.0.0.1"),
              List.of("digital signature", "server auth", "client auth"));
        }
        case 4 -> ExternalIssuer.check(data.consumeString(4000), data.consumeString(4000),
            data.consumeRemainingAsString(), NOW, Duration.ofDays(90));
        case 5 -> {
          String pin = data.consumeRemainingAsString();
          Fingerprints.normalizePin(pin);
          Fingerprints.pinMatches(pin, CERTIFICATE);
        }
        case 6 -> GoDuration.parse(data.consumeRemainingAsString());
        case 7 -> Revocations.read(data.consumeRemainingAsString());
        case 8 -> Revocations.parseSuperseded(data.consumeRemainingAsString(), "node-0", NOW);
        default -> {
          try {
            CandidateMapFile.digests(data.consumeRemainingAsBytes());
          } catch (IllegalStateException notJson) {
            // candidate-map.json's documented refusal
          }
        }
      }
    } catch (PkiException refused) {
      // the documented refusal: a clear message for a condition or an Event
    }
  }
}
