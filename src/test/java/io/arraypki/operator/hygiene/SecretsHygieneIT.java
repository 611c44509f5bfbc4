package io.arraypki.operator.hygiene;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.arraypki.operator.pki.KeyPairs;
import io.arraypki.operator.pki.KeySpec;
import io.arraypki.operator.pki.Pem;
import io.arraypki.operator.pki.SshKeys;
import io.arraypki.operator.support.Commands;
import io.arraypki.operator.support.LocalControlPlane;
import io.arraypki.operator.support.OperatorProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Run last (failsafe's post-integration-test, after every other test and the operator under the
 * chart's ServiceAccount stopped): no private key in anything the operator wrote that is not a
 * Secret. The API server's audit log holds the body of every Event and of every write to the
 * arraypki.io kinds (status included) of the whole run, and of earlier runs on this control
 * plane; the operators' logs are the test JVMs' captured output, the logs of the operator JVMs
 * the in-process suite started ({@code target/operator-processes}) and the log of the operator run
 * under the chart's ServiceAccount.
 */
class SecretsHygieneIT {
  private static final Path TARGET = Commands.projectDir().resolve("target");
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theDetectorFindsEveryKindOfPrivateKeyTheOperatorWritesAsTextAndAsSecretData() {
    List<String> keys = new ArrayList<>();
    for (KeySpec spec : List.of(KeySpec.of("RSA", 2048), KeySpec.of("ECDSA", 256), KeySpec.of("ECDSA", 384),
        KeySpec.of("Ed25519", null))) {
      keys.add(Pem.encodePrivateKey(KeyPairs.generate(spec).getPrivate()));
    }
    keys.add(SshKeys.generate("node-a").privateKey());

    for (String key : keys) {
      assertThat(PrivateKeyDetector.find("log line: " + key)).as(key.lines().findFirst().orElse("")).isNotNull();
      String asSecretData = Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.US_ASCII));
      assertThat(PrivateKeyDetector.find("{\"data\":{\"tls.key\":\"" + asSecretData + "\"}}")).isNotNull();
    }
    assertThat(PrivateKeyDetector.find("-----BEGIN CERTIFICATE-----\nMIIB...")).isNull();
  }

  @Test
  void noEventAndNoStatusOrSpecWrittenToTheApiServerHoldsAPrivateKey() throws IOException {
    Path logs = LocalControlPlane.kubeconfig().getParent().resolve("logs");
    List<Path> auditLogs;
    try (Stream<Path> files = Files.list(logs)) {
      auditLogs = files.filter(f -> f.getFileName().toString().startsWith("audit")).toList();
    }
    int events = 0;
    int statusWrites = 0;
    List<String> leaks = new ArrayList<>();
    for (Path auditLog : auditLogs) {
      try (Stream<String> lines = Files.lines(auditLog)) {
        for (String line : (Iterable<String>) lines::iterator) {
          JsonNode entry = JSON.readTree(line);
          JsonNode body = entry.path("requestObject");
          if (body.isMissingNode()) {
            continue;
          }
          JsonNode ref = entry.path("objectRef");
          if ("events".equals(ref.path("resource").asText())) {
            events++;
          } else if ("status".equals(ref.path("subresource").asText())) {
            statusWrites++;
          }
          String found = PrivateKeyDetector.find(body.toString());
          if (found != null) {
            leaks.add(ref + " " + entry.path("verb").asText() + " (" + found + ")");
          }
        }
      }
    }

    assertThat(events).as("Event bodies in the audit log (the run recorded none: is the audit policy current?)")
        .isGreaterThan(20);
    assertThat(statusWrites).as("status writes in the audit log").isGreaterThan(100);
    assertThat(leaks).as("writes holding a private key").isEmpty();
  }

  @Test
  void noOperatorLogOfTheRunHoldsAPrivateKey() throws IOException {
    List<Path> logs = new ArrayList<>();
    // the test JVMs' output, the operator JVMs FaultsTest, CrashSafetyTest and LeaderElectionTest
    // started (OperatorProcess.LOGS), and the operator run under the chart's ServiceAccount
    for (String dir : List.of("surefire-reports", "failsafe-reports", "least-privilege",
        TARGET.relativize(OperatorProcess.LOGS).toString())) {
      if (Files.isDirectory(TARGET.resolve(dir))) {
        try (Stream<Path> files = Files.walk(TARGET.resolve(dir))) {
          files.filter(f -> f.toString().endsWith("-output.txt") || f.toString().endsWith(".log")).forEach(logs::add);
        }
      }
    }
    Path leastPrivilegeLog = TARGET.resolve("least-privilege/operator.log");
    assertThat(logs).contains(leastPrivilegeLog);
    assertThat(Files.readString(leastPrivilegeLog)).contains("arraypki-operator started");
    assertThat(logs).as("logs of the operator JVMs the in-process suite started, in " + OperatorProcess.LOGS)
        .anySatisfy(f -> {
          assertThat(f).startsWith(OperatorProcess.LOGS);
          assertThat(read(f)).contains("arraypki-operator started");
        });

    List<String> leaks = logs.stream().filter(f -> PrivateKeyDetector.find(read(f)) != null)
        .map(Path::toString).toList();

    assertThat(leaks).as("logs holding a private key").isEmpty();
  }

  @Test
  void theOperatorLeftNoPrivateKeyInItsTemporaryDirectory() throws IOException {
    Path tmp = TARGET.resolve("least-privilege/tmp");
    assertThat(tmp).as("java.io.tmpdir of the operator run under the chart's ServiceAccount").isDirectory();
    try (Stream<Path> files = Files.walk(tmp)) {
      assertThat(files.filter(Files::isRegularFile).filter(f -> PrivateKeyDetector.find(read(f)) != null).toList())
          .as("temporary files holding a private key").isEmpty();
    }
  }

  private static String read(Path file) {
    try {
      return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
