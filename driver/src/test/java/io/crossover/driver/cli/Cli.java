package io.crossover.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * Runs the CLI in this JVM as a user would see it: the shipped logging setup (conf/), System.out
 * and System.err captured (log lines included), the exit code returned.
 */
public final class Cli {
  /** A stack-trace line, a "Caused by", or an uncaught exception. */
  public static final Pattern TRACE =
      Pattern.compile(
          "(?m)^\\s+at [\\w.$/]+\\(.*\\)$|^Caused by: |^Exception in thread |\\.\\.\\. \\d+ more$");

  private Cli() {}

  /** What a run printed. */
  public record Result(int code, String out, String err) {
    public String firstErrorLine() {
      return err.lines().filter(l -> !l.isBlank()).findFirst().orElse("");
    }

    /** Exit code, first line of stderr (starting with {@code prefix}), no stack trace anywhere. */
    public Result expect(int exit, String prefix) {
      String all = "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err;
      assertEquals(exit, code, all);
      if (prefix != null) {
        assertTrue(
            firstErrorLine().startsWith(prefix),
            "first line of stderr should start with\n" + prefix + "\n" + all);
      }
      assertFalse(TRACE.matcher(out + err).find(), "no stack trace on the console\n" + all);
      return this;
    }
  }

  /** Uses conf/log4j2.properties with its log file in {@code logDir}, as bin/crossover does. */
  public static void useShippedLogging(Path logDir) throws Exception {
    Files.createDirectories(logDir);
    System.setProperty("crossover.log.file", logDir.resolve("crossover.log").toString());
    System.setProperty("crossover.home", Path.of("..").toAbsolutePath().normalize().toString());
    Configurator.reconfigure(Path.of("../conf/log4j2.properties").toAbsolutePath().toUri());
  }

  public static synchronized Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    int code;
    System.setOut(o);
    System.setErr(e);
    try {
      var cli = CrossoverCommand.commandLine();
      cli.setOut(new PrintWriter(o, true));
      cli.setErr(new PrintWriter(e, true));
      code = CrossoverCommand.run(cli, args);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    // Not echoed: an assertion on a result prints it when it fails.
    return new Result(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
