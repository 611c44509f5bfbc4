package io.arraypki.operator.ops.logging;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;
import org.slf4j.MDC;

/**
 * One JSON object per line in the Elastic Common Schema, with the fields Log4j's
 * {@code EcsLayout.json} wrote: {@code @timestamp} (UTC), {@code ecs.version}, {@code log.level},
 * {@code message}, {@code process.thread.name}, {@code log.logger}, the logging thread's SLF4J MDC
 * (JOSDK puts the reconciled resource there) flattened into the object, and for an exception
 * {@code error.type}, {@code error.message} and {@code error.stack_trace}.
 */
public final class EcsJsonLogFormatter extends Formatter {
  private static final JsonFactory JSON = new JsonFactory();
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  @Override
  public String format(LogRecord record) {
    StringWriter line = new StringWriter(256);
    try (JsonGenerator json = JSON.createGenerator(line)) {
      json.writeStartObject();
      json.writeStringField("@timestamp", TIME.format(record.getInstant()));
      json.writeStringField("ecs.version", "1.2.0");
      json.writeStringField("log.level", OperatorLogging.slf4jName(record.getLevel()));
      json.writeStringField("message", formatMessage(record));
      json.writeStringField("process.thread.name", Thread.currentThread().getName());
      json.writeStringField("log.logger", record.getLoggerName());
      Map<String, String> context = MDC.getCopyOfContextMap();
      if (context != null) {
        for (Map.Entry<String, String> entry : context.entrySet()) {
          json.writeStringField(entry.getKey(), entry.getValue());
        }
      }
      Throwable thrown = record.getThrown();
      if (thrown != null) {
        json.writeStringField("error.type", thrown.getClass().getName());
        json.writeStringField("error.message", thrown.getMessage());
        json.writeStringField("error.stack_trace", TextLogFormatter.stackTrace(thrown));
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return line.append(System.lineSeparator()).toString();
  }
}
