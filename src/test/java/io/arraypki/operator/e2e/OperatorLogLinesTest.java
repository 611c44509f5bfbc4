package io.arraypki.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.arraypki.operator.support.Arrays;
import io.arraypki.operator.support.OperatorProcess;
import io.arraypki.operator.support.OperatorUnderTest;
import io.arraypki.operator.support.Scenario;
import io.arraypki.operator.support.Waits;
import io.javaoperatorsdk.operator.junit.AbstractOperatorExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator's log as the chart configures it (LOG_FORMAT=json): an operator JVM of its own,
 * watching this test's namespace, writes one ECS JSON object per line, the reconciled resource's
 * name among a reconcile's fields, and still logs its last line while it stops on SIGTERM (the JDK's
 * own shutdown hook would otherwise remove the handlers first: ProcessLifetimeLogManager).
 */
@Tag(OperatorUnderTest.IN_PROCESS_ONLY)
class OperatorLogLinesTest {
  @RegisterExtension
  static AbstractOperatorExtension operator = OperatorUnderTest.namespaceOnly();

  private final Scenario scenario = new Scenario(operator);
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void withJsonLogsEveryLineIsAnEcsObjectAndTheLastLineOnSigtermSaysTheOperatorStopped() throws Exception {
    Path log = OperatorProcess.log(getClass(), "operator.log");
    Files.deleteIfExists(log); // an earlier run's lines (the log is appended to)
    try (OperatorProcess process = OperatorProcess.start(scenario.ns(), log,
        Map.of("LEADER_ELECTION", "false", "LOG_FORMAT", "json"))) {
      scenario.createArray("logged", 1, "1s", "1s");
      Waits.converge().until(() -> Files.readString(log).contains("arraypki-operator started"));
      Arrays.awaitArrayReady(scenario.client(), scenario.ns(), "logged", 1);
      assertThat(process.terminate(Duration.ofSeconds(30))).as("the operator ended on SIGTERM").isTrue();
    }
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      JsonNode event = JSON.readTree(line); // fails the test on a line that is not JSON
      assertThat(event.isObject()).as(line).isTrue();
      for (String field : List.of("@timestamp", "ecs.version", "log.level", "message", "process.thread.name",
          "log.logger")) {
        assertThat(event.path(field).isTextual()).as(field + " in " + line).isTrue();
      }
      assertThat(event.path("@timestamp").asText()).as(line).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
      lines.add(event);
    }
    assertThat(lines).as("the operator's lines").isNotEmpty();
    assertThat(lines).extracting(event -> event.path("log.level").asText()).as("levels as SLF4J names them")
        .isSubsetOf("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
    assertThat(lines).as("the array's CAGenerated Event, logged in its reconcile with the resource (JOSDK's MDC)")
        .anySatisfy(event -> {
          assertThat(event.path("log.logger").asText()).isEqualTo("io.arraypki.operator.k8s.EventRecorder");
          assertThat(event.path("message").asText()).contains("CAGenerated");
          assertThat(event.path("resource.name").asText()).isEqualTo("logged");
          assertThat(event.path("resource.namespace").asText()).isEqualTo(scenario.ns());
        });
    assertThat(lines.get(lines.size() - 1).path("message").asText()).isEqualTo("arraypki-operator stopped");
  }
}
