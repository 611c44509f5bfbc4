package io.arraypki.operator.ops.logging;

import java.util.logging.LogManager;

/**
 * The JDK's LogManager, except that once the process's logging is configured its handlers stay
 * until the process ends. The JDK's own shutdown hook resets every logger, racing the operator's
 * hook, which still logs while it stops the controllers: with the plain LogManager those last
 * lines could go nowhere. Installed by {@code -Djava.util.logging.manager}, which the processes'
 * main classes set ({@link OperatorLogging#useProcessLifetimeLogManager}) before any logger exists.
 */
public final class ProcessLifetimeLogManager extends LogManager {
  private static volatile boolean configured;

  static void handlersConfigured() {
    configured = true;
  }

  @Override
  public void reset() {
    if (!configured) {
      super.reset();
    }
  }
}
