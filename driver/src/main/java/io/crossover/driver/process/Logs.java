package io.crossover.driver.process;

import java.io.File;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;

/**
 * Where the logs go. bin/crossover names a log file per invocation ({@code crossover.log.file}):
 * Spark's, Hadoop's and DJL's warnings and every stack trace go there, and the console shows
 * Crossover's own output; {@code --verbose} adds the third-party warnings to the console.
 */
public final class Logs {
  private Logs() {}

  /** The log file of this invocation, or null when the logging setup is not ours. */
  public static String file() {
    String file = System.getProperty("crossover.log.file");
    return file != null && new File(file).exists() ? file : null;
  }

  /** Sends warnings of every logger to the console as well (for --verbose). */
  public static void showThirdPartyWarnings() {
    if (!(LogManager.getContext(false) instanceof LoggerContext context)) {
      return;
    }
    Configuration config = context.getConfiguration();
    Appender console = config.getAppender("console");
    if (console != null && !config.getRootLogger().getAppenders().containsKey("console")) {
      config.getRootLogger().addAppender(console, Level.WARN, null);
      context.updateLoggers();
    }
  }

  /**
   * After an interrupt the shutdown makes Spark report lost executors: that is the interrupt's
   * echo, so from now on only the log file hears third parties.
   */
  static void quietThirdParties() {
    if (!(LogManager.getContext(false) instanceof LoggerContext context)) {
      return;
    }
    Configuration config = context.getConfiguration();
    for (var logger : config.getLoggers().values()) {
      if (!logger.getName().startsWith("io.crossover")) {
        logger.removeAppender("console");
        logger.removeAppender("resources");
      }
    }
    context.updateLoggers();
  }
}
