package io.crossover.driver;

import io.crossover.data.config.ConfigException;
import io.crossover.data.plan.PlanException;
import io.crossover.data.shard.CorruptShardException;
import java.io.File;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code crossover} command line. */
@Command(
    name = "crossover",
    mixinStandardHelpOptions = true,
    version = "crossover 0.1.0",
    description = {
      "Train autoregressive and masked-diffusion language models on one fixed token",
      "budget, vary the share of unique tokens, and find where diffusion overtakes AR."
    },
    subcommands = {
      QuickstartCommand.class,
      IngestCommand.class,
      PlanCommand.class,
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
public final class Crossover implements Runnable {
  /** Exit code for a bad config, argument or budget. */
  public static final int EXIT_USAGE = 2;

  /** Exit code for a failure while working (I/O, corrupt data, a failed Spark job). */
  public static final int EXIT_FAILURE = 1;

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the CLI and returns its exit code (tests call this). */
  public static int execute(String... args) {
    return commandLine().execute(args);
  }

  /** The configured command line (tests set its streams). */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Crossover());
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          PrintWriter err = cmd.getErr();
          Throwable root = userFacing(e);
          if (root != null) {
            err.println(cmd.getCommandSpec().qualifiedName() + ": error: " + root.getMessage());
            err.flush();
            return root instanceof CorruptShardException ? EXIT_FAILURE : EXIT_USAGE;
          }
          err.println(cmd.getCommandSpec().qualifiedName() + ": failed: " + e);
          e.printStackTrace(err);
          err.flush();
          return EXIT_FAILURE;
        });
    return cli;
  }

  /** The first cause that is a user's mistake with a message written for them, or null. */
  static Throwable userFacing(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConfigException
          || t instanceof PlanException
          || t instanceof CorruptShardException
          || t instanceof io.crossover.data.ingest.InputException
          || (t instanceof IllegalArgumentException
              && t.getMessage() != null
              && t.getMessage().matches("^[a-z-]+\\.[a-z.-]+: .*"))) {
        return t;
      }
    }
    return null;
  }

  /** The installation directory (set by bin/crossover), else the working directory. */
  static File home() {
    return new File(System.getProperty("crossover.home", "."));
  }
}
