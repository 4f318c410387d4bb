package io.crossover.driver.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code crossover bench}: measured figures, as tables and (with --json) one JSON line. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Measure speed against a baseline run in the same process.",
      "Each benchmark prints a table; with --json its last line is one JSON object with the",
      "figures and their ratios to the baseline."
    },
    subcommands = {LoaderBenchCommand.class, StepBenchCommand.class, AllReduceBenchCommand.class})
public final class BenchCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    new CommandLine(this).usage(System.out);
    return 0;
  }
}
