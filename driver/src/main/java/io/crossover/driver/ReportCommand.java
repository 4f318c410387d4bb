package io.crossover.driver;

import io.crossover.driver.report.Curves;
import io.crossover.driver.report.Report;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code crossover report ROOT}: the crossover report of a directory of runs. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
      "Pair the AR and MDM runs under ROOT (a sweep directory), find the crossover and the data",
      "potential, print the summary and write ROOT/report.html with PNG figures."
    })
final class ReportCommand implements Callable<Integer> {
  @Parameters(paramLabel = "ROOT", description = "A directory of run directories.")
  String root;

  @Option(
      names = "--metric",
      defaultValue = "acc",
      description = "acc, acc_norm or acc_mi (default ${DEFAULT-VALUE}).")
  String metric;

  @Override
  public Integer call() {
    if (!Curves.METRICS.contains(metric)) {
      throw new IllegalArgumentException(
          "--metric " + metric + " is not one of " + String.join(", ", Curves.METRICS));
    }
    Report.write(
        QualifiedPaths.qualify(root, RunDir.hadoopConf()), RunDir.hadoopConf(), System.out, metric);
    return 0;
  }
}
