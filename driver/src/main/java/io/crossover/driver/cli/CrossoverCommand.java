package io.crossover.driver.cli;

import io.crossover.data.UserException;
import io.crossover.driver.process.Interrupts;
import io.crossover.driver.process.Invocation;
import io.crossover.driver.process.Logs;
import io.crossover.driver.process.NativeStderr;
import io.crossover.driver.process.UserMessages;
import io.crossover.driver.run.RunDir;
import java.io.PrintWriter;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code crossover} command line. */
@Command(
    name = "crossover",
    mixinStandardHelpOptions = true,
    version = "crossover 0.1.0",
    description = {
      "Train autoregressive and masked-diffusion language models on one fixed token",
      "budget, vary the share of unique tokens, and find where diffusion overtakes AR.",
      "",
      "Exit codes: 0 done; 2 a mistake you can fix (config, argument, budget, input file);",
      "1 a failure while working (I/O, corrupt data, a lost executor); 130 interrupted."
    },
    subcommands = {
      QuickstartCommand.class,
      IngestCommand.class,
      ClozeCommand.class,
      PlanCommand.class,
      EstimateCommand.class,
      TrainCommand.class,
      SweepCommand.class,
      ReportCommand.class,
      ModelCommand.class,
      EvalCommand.class,
      GenerateCommand.class,
      ExportCommand.class,
      ConfigCommand.class,
      BenchCommand.class,
      DoctorCommand.class,
      K8sCommand.class,
      CommandLine.HelpCommand.class
    })
public final class CrossoverCommand implements Runnable {
  /** Exit code for a mistake the user can fix: a bad config, argument, budget or input file. */
  public static final int EXIT_USAGE = 2;

  /** Exit code for a failure while working (I/O, corrupt data, a failed Spark job). */
  public static final int EXIT_FAILURE = 1;

  private static final Logger LOG = LogManager.getLogger(CrossoverCommand.class);

  @Option(
      names = "--verbose",
      scope = ScopeType.INHERIT,
      description = "Print stack traces and third-party warnings on the console too.")
  boolean verbose;

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    // Native warnings (libtorch's C++ ones) go to the log file; --verbose keeps them here.
    String log = System.getProperty("crossover.log.file");
    if (log != null && !List.of(args).contains("--verbose")) {
      NativeStderr.toLogFile(log);
      // A thread that dies on its own (a pool rejecting work while an interrupt shuts Spark down)
      // is the echo of what the product reports itself: its trace goes to the log file.
      Thread.setDefaultUncaughtExceptionHandler(
          (thread, e) -> LOG.error("uncaught in thread " + thread.getName(), e));
    }
    System.exit(execute(args));
  }

  /** Runs the CLI and returns its exit code (tests call this). */
  public static int execute(String... args) {
    return run(commandLine(), args);
  }

  /** Runs {@code cli} (from {@link #commandLine()}) on {@code args}; returns the exit code. */
  public static int run(CommandLine cli, String... args) {
    Invocation.set(args);
    RunDir.installHadoopDefaults();
    boolean verbose = List.of(args).contains("--verbose");
    if (verbose) {
      Logs.showThirdPartyWarnings();
    }
    try {
      return cli.execute(args);
    } catch (Error e) {
      // picocli handles exceptions only: an Error (FSError on a full local disk, out of memory)
      // gets the same one-line treatment.
      return report(e, cli.getErr(), commandName(args), verbose);
    }
  }

  /** The configured command line (tests set its streams). */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new CrossoverCommand());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          boolean verbose = false;
          for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            verbose |= p.hasMatchedOption("--verbose");
          }
          return report(e, cmd.getErr(), cmd.getCommandSpec().qualifiedName(), verbose);
        });
    cli.setParameterExceptionHandler(
        (e, args) -> {
          CommandLine cmd = e.getCommandLine();
          PrintWriter err = cmd.getErr();
          String name = cmd.getCommandSpec().qualifiedName();
          err.println(name + ": error: " + UserMessages.firstLine(e.getMessage()));
          CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
          err.println("usage: " + name + " --help");
          err.flush();
          return EXIT_USAGE;
        });
    return cli;
  }

  /**
   * The one place a failure becomes an exit code: a {@link UserException} anywhere in the causes is
   * the user's to fix (2); anything else failed while working (1). The console gets one line (two
   * for a failure: where the trace is); the trace goes to the log file, and with --verbose here.
   */
  static int report(Throwable e, PrintWriter err, String command, boolean verbose) {
    LOG.error(command + " failed", e);
    if (Interrupts.interrupted()) {
      return 130; // The interrupt hook has said where the work stopped; the rest is its echo.
    }
    if (verbose) {
      e.printStackTrace(err);
    }
    UserException user = UserMessages.userMistake(e);
    if (user != null) {
      err.println(command + ": error: " + user.getMessage());
      err.flush();
      return EXIT_USAGE;
    }
    err.println(command + ": failed: " + UserMessages.describe(e));
    if (!verbose) {
      String log = Logs.file();
      err.println(
          command
              + ": "
              + (log != null ? "the full trace is in " + log + "; " : "")
              + "--verbose prints it here");
    }
    err.flush();
    return EXIT_FAILURE;
  }

  private static String commandName(String[] args) {
    for (String a : args) {
      if (!a.startsWith("-")) {
        return "crossover " + a;
      }
    }
    return "crossover";
  }
}
