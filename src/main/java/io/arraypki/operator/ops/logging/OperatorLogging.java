package io.arraypki.operator.ops.logging;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The processes' logging: SLF4J onto the JDK's own {@code java.util.logging}, one line per event on
 * standard output, as text or as ECS JSON. The JDK's logging is already in the runtime (and mostly
 * in its class-data archive); Log4j, which this replaced, loaded about 1,200 classes of its own and
 * of {@code java.xml} for its configuration, and an idle operator's resident set went from 151 to
 * 131 MB without it (README "Performance").
 */
public final class OperatorLogging {
  /** Loggers whose level was set: the JDK holds loggers weakly, and a collected one forgets it. */
  private static final List<Logger> CONFIGURED = new ArrayList<>();

  private OperatorLogging() {}

  /**
   * Call first in a main method, before anything creates a logger. Names the class without calling
   * it: initializing ProcessLifetimeLogManager would first initialize the JDK's LogManager, which
   * reads this setting once, and too early.
   */
  public static void useProcessLifetimeLogManager() {
    if (System.getProperty("java.util.logging.manager") == null) {
      System.setProperty("java.util.logging.manager", ProcessLifetimeLogManager.class.getName());
    }
  }

  /**
   * The operator's and its sidecar's logging from the environment the chart sets: {@code LOG_FORMAT}
   * (json or text), {@code LOG_LEVEL} for the operator's own loggers (default INFO) and
   * {@code ROOT_LOG_LEVEL} for everything else (default WARN); JOSDK's at INFO, Fabric8's at WARN.
   */
  public static void configureOperator(Map<String, String> env) {
    boolean json = "json".equalsIgnoreCase(env.getOrDefault("LOG_FORMAT", "text"));
    List<String> unknownLevels = new ArrayList<>();
    Level own = levelSetting(env, "LOG_LEVEL", "INFO", unknownLevels);
    Level root = levelSetting(env, "ROOT_LOG_LEVEL", "WARN", unknownLevels);
    install(System.out, json ? new EcsJsonLogFormatter() : new TextLogFormatter(), root,
        Map.of("io.arraypki", own, "io.javaoperatorsdk", Level.INFO, "io.fabric8", Level.WARNING));
    // said once the handlers exist
    unknownLevels.forEach(Logger.getLogger(OperatorLogging.class.getName())::warning);
  }

  /** A level setting, or its default where the name is unknown (said in {@code unknownLevels}). */
  private static Level levelSetting(Map<String, String> env, String setting, String otherwise, List<String> unknownLevels) {
    String value = env.getOrDefault(setting, otherwise);
    Level level = level(value, null);
    if (level != null) {
      return level;
    }
    unknownLevels.add(setting + " '" + value + "' is not one of TRACE, DEBUG, INFO, WARN, ERROR, OFF; using " + otherwise);
    return level(otherwise, null);
  }

  /**
   * kubectl arraypki: its output is its own; libraries say only warnings, on standard error, and
   * not Fabric8's "unstable version v1alpha1" on every request (the plugin knows its API's version).
   */
  public static void configureCommandLine() {
    install(System.err, new CommandLineLogFormatter(), Level.WARNING,
        Map.of("io.fabric8.kubernetes.client.dsl.internal.VersionUsageUtils", Level.SEVERE));
  }

  private static synchronized void install(PrintStream out, Formatter formatter, Level rootLevel, Map<String, Level> levels) {
    Logger root = Logger.getLogger("");
    for (Handler handler : root.getHandlers()) {
      root.removeHandler(handler);
    }
    root.addHandler(new LineHandler(out, formatter));
    root.setLevel(rootLevel);
    CONFIGURED.clear();
    levels.forEach((name, level) -> {
      Logger logger = Logger.getLogger(name);
      logger.setLevel(level);
      CONFIGURED.add(logger);
    });
    ProcessLifetimeLogManager.handlersConfigured();
  }

  /** SLF4J's level names (and OFF) to the JDK's; an unknown name gives the default. */
  static Level level(String slf4jName, Level otherwise) {
    return switch (slf4jName.trim().toUpperCase(Locale.ROOT)) {
      case "TRACE", "ALL" -> Level.FINEST;
      case "DEBUG" -> Level.FINE;
      case "INFO" -> Level.INFO;
      case "WARN", "WARNING" -> Level.WARNING;
      case "ERROR" -> Level.SEVERE;
      case "OFF" -> Level.OFF;
      default -> otherwise;
    };
  }

  /** The JDK's level of an event as SLF4J names it (what the lines say). */
  static String slf4jName(Level level) {
    int value = level.intValue();
    if (value >= Level.SEVERE.intValue()) {
      return "ERROR";
    }
    if (value >= Level.WARNING.intValue()) {
      return "WARN";
    }
    if (value >= Level.INFO.intValue()) {
      return "INFO";
    }
    if (value >= Level.FINE.intValue()) {
      return "DEBUG";
    }
    return "TRACE";
  }

  /**
   * Writes each formatted event whole, on the thread that logged it (so a formatter can read that
   * thread's name and SLF4J MDC), and flushes it: a pod's log must have the line before a crash.
   */
  static final class LineHandler extends Handler {
    private final PrintStream out;

    LineHandler(PrintStream out, Formatter formatter) {
      this.out = out;
      setFormatter(formatter);
      setLevel(Level.ALL);
    }

    @Override
    public void publish(LogRecord record) {
      if (!isLoggable(record)) {
        return;
      }
      String line;
      try {
        line = getFormatter().format(record);
      } catch (RuntimeException e) {
        reportError("could not format a log record", e, java.util.logging.ErrorManager.FORMAT_FAILURE);
        return;
      }
      synchronized (out) {
        out.print(line);
        out.flush();
      }
    }

    @Override
    public void flush() {
      out.flush();
    }

    @Override
    public void close() {
      flush();
    }
  }
}
