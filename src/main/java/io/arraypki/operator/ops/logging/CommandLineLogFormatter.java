package io.arraypki.operator.ops.logging;

import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/** {@code WARN Logger: message}: what a library says on kubectl arraypki's standard error. */
final class CommandLineLogFormatter extends Formatter {
  @Override
  public String format(LogRecord record) {
    String line = OperatorLogging.slf4jName(record.getLevel()) + " "
        + TextLogFormatter.simpleName(record.getLoggerName()) + ": " + formatMessage(record) + System.lineSeparator();
    return record.getThrown() == null ? line : line + TextLogFormatter.stackTrace(record.getThrown());
  }
}
