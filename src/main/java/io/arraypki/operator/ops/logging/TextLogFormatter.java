package io.arraypki.operator.ops.logging;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * {@code 2026-12-07T20:10:00,123 INFO  [thread] Logger message}, then the stack trace of an
 * exception if there is one: the text lines the operator has always written (Log4j's
 * {@code %d{ISO8601} %-5level [%t] %c{1} %msg%n}), in the process's time zone.
 */
public final class TextLogFormatter extends Formatter {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss,SSS").withZone(ZoneId.systemDefault());

  @Override
  public String format(LogRecord record) {
    StringBuilder line = new StringBuilder(128);
    TIME.formatTo(record.getInstant(), line);
    String level = OperatorLogging.slf4jName(record.getLevel());
    line.append(' ').append(level).append(" ".repeat(Math.max(1, 6 - level.length())));
    line.append('[').append(Thread.currentThread().getName()).append("] ");
    line.append(simpleName(record.getLoggerName())).append(' ').append(formatMessage(record))
        .append(System.lineSeparator());
    if (record.getThrown() != null) {
      line.append(stackTrace(record.getThrown()));
    }
    return line.toString();
  }

  static String simpleName(String loggerName) {
    if (loggerName == null) {
      return "";
    }
    return loggerName.substring(loggerName.lastIndexOf('.') + 1);
  }

  static String stackTrace(Throwable thrown) {
    StringWriter trace = new StringWriter();
    try (PrintWriter writer = new PrintWriter(trace)) {
      thrown.printStackTrace(writer);
    }
    return trace.toString();
  }
}
