package io.arraypki.operator.ops.logging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class LogFormattersTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static LogRecord record(Level level, String message, Throwable thrown) {
    LogRecord record = new LogRecord(level, message);
    record.setLoggerName("io.arraypki.operator.k8s.EventRecorder");
    record.setInstant(Instant.parse("2026-12-07T20:10:00.123456Z"));
    record.setThrown(thrown);
    return record;
  }

  @AfterEach
  void clearMdc() {
    MDC.clear();
  }

  @Test
  void anEcsJsonEventIsOneLineWithTheFieldsTheMdcAndTheException() throws Exception {
    MDC.put("resource.name", "sgd");
    MDC.put("resource.namespace", "arrays");
    String line = new EcsJsonLogFormatter().format(
        record(Level.WARNING, "two\nlines \"quoted\"", new IllegalStateException("broken")));

    assertThat(line).endsWith(System.lineSeparator());
    assertThat(line.strip()).doesNotContain("\n");
    JsonNode event = JSON.readTree(line);
    assertThat(event.path("@timestamp").asText()).isEqualTo("2026-12-07T20:10:00.123Z");
    assertThat(event.path("ecs.version").asText()).isEqualTo("1.2.0");
    assertThat(event.path("log.level").asText()).isEqualTo("WARN");
    assertThat(event.path("message").asText()).isEqualTo("two\nlines \"quoted\"");
    assertThat(event.path("process.thread.name").asText()).isEqualTo(Thread.currentThread().getName());
    assertThat(event.path("log.logger").asText()).isEqualTo("io.arraypki.operator.k8s.EventRecorder");
    assertThat(event.path("resource.name").asText()).isEqualTo("sgd");
    assertThat(event.path("resource.namespace").asText()).isEqualTo("arrays");
    assertThat(event.path("error.type").asText()).isEqualTo("java.lang.IllegalStateException");
    assertThat(event.path("error.message").asText()).isEqualTo("broken");
    assertThat(event.path("error.stack_trace").asText())
        .startsWith("java.lang.IllegalStateException: broken").contains("at io.arraypki.operator.ops.logging");
  }

  @Test
  void anEcsJsonEventWithoutMdcOrExceptionHasNoErrorFields() throws Exception {
    JsonNode event = JSON.readTree(new EcsJsonLogFormatter().format(record(Level.INFO, "started", null)));
    assertThat(event.has("error.type")).isFalse();
    assertThat(event.has("resource.name")).isFalse();
    assertThat(event.path("log.level").asText()).isEqualTo("INFO");
  }

  @Test
  void aTextEventIsTheLog4jPatternTheOperatorAlwaysWrote() {
    String line = new TextLogFormatter().format(record(Level.SEVERE, "could not start", null));
    assertThat(line).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d,\\d{3} ERROR \\["
        + java.util.regex.Pattern.quote(Thread.currentThread().getName()) + "\\] EventRecorder could not start\\R");
    assertThat(new TextLogFormatter().format(record(Level.INFO, "x", null))).contains(" INFO  [");
    assertThat(new TextLogFormatter().format(record(Level.WARNING, "x", new RuntimeException("why"))))
        .contains(" WARN  [").contains("java.lang.RuntimeException: why" + System.lineSeparator() + "\tat ");
  }

  @Test
  void anUnknownLogLevelIsSaidInAWarningAndTheDefaultIsUsed() throws Exception {
    java.io.PrintStream stdout = System.out;
    java.io.ByteArrayOutputStream lines = new java.io.ByteArrayOutputStream();
    try {
      System.setOut(new java.io.PrintStream(lines, true, java.nio.charset.StandardCharsets.UTF_8));
      OperatorLogging.configureOperator(java.util.Map.of("LOG_LEVEL", "verbose", "LOG_FORMAT", "text"));
      org.slf4j.LoggerFactory.getLogger("io.arraypki.operator.Probe").info("still at INFO");
      org.slf4j.LoggerFactory.getLogger("io.arraypki.operator.Probe").debug("not at DEBUG");
    } finally {
      System.setOut(stdout);
      java.util.logging.LogManager.getLogManager().readConfiguration(); // the test JVM's own (pom.xml)
    }
    assertThat(lines.toString(java.nio.charset.StandardCharsets.UTF_8))
        .contains(" WARN  [").contains("LOG_LEVEL 'verbose' is not one of TRACE, DEBUG, INFO, WARN, ERROR, OFF; using INFO")
        .contains(" INFO  [").contains("Probe still at INFO")
        .doesNotContain("not at DEBUG");
  }

  @Test
  void slf4jLevelNamesMapBothWaysAndAnUnknownNameGivesTheDefault() {
    for (String name : new String[] {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"}) {
      assertThat(OperatorLogging.slf4jName(OperatorLogging.level(name, Level.OFF))).isEqualTo(name);
    }
    assertThat(OperatorLogging.level(" debug ", Level.INFO)).isEqualTo(Level.FINE);
    assertThat(OperatorLogging.level("verbose", Level.INFO)).isEqualTo(Level.INFO);
    assertThat(OperatorLogging.slf4jName(Level.CONFIG)).isEqualTo("DEBUG");
    assertThat(OperatorLogging.slf4jName(Level.FINER)).isEqualTo("TRACE");
  }
}
