package io.crossover.driver.cli;

import io.crossover.driver.sweep.SweepRunner;
import io.crossover.driver.sweep.SweepSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code crossover sweep FILE}: expands a grid, prints it with an estimate, runs it, reports. */
@Command(
    name = "sweep",
    header = "Run a grid of training runs on one fixed total budget, then write the report.",
    mixinStandardHelpOptions = true,
    description = {
      "Run a grid of training runs (objective x unique tokens x model x ...) at a fixed total",
      "budget into ROOT/NAME/RUN/, then write the crossover report. Re-running skips finished",
      "runs, resumes runs with checkpoints and starts the rest."
    })
public final class SweepCommand implements Callable<Integer> {
  @Parameters(paramLabel = "FILE", description = "A sweep file, or a name in conf/sweeps/.")
  String file;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Override one config key in every run (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--root", description = "Where the sweep's directory goes (the file's root).")
  String root;

  @Option(names = "--dry-run", description = "Print the grid and the estimate; run nothing.")
  boolean dryRun;

  @Option(names = "--no-estimate", description = "Skip the step benchmark behind the estimate.")
  boolean noEstimate;

  @Option(names = "--fail-fast", description = "Stop at the first failed run.")
  boolean failFast;

  @Option(names = "--no-report", description = "Do not write the report at the end.")
  boolean noReport;

  @Override
  public Integer call() {
    SweepSpec spec = SweepSpec.load(file);
    if (root != null) {
      spec = spec.withRoot(root);
    }
    return SweepRunner.run(spec, overrides, dryRun, !noEstimate, failFast, !noReport);
  }
}
