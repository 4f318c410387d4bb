package io.crossover.driver.cli;

import io.crossover.driver.process.QualifiedPaths;
import io.crossover.driver.report.Curves;
import io.crossover.driver.report.Report;
import io.crossover.driver.report.render.ReportFiles;
import io.crossover.driver.run.RunDir;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code crossover report ROOT}: the crossover report of a directory of runs. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
      "Pair the AR and MDM runs under ROOT (a sweep directory), find the crossover and the data"
          + " potential, print the summary and write ROOT/report.html with PNG figures."
    })
public final class ReportCommand implements Callable<Integer> {
  @Parameters(paramLabel = "ROOT", description = "A directory of run directories.")
  String root;

  @Option(
      names = "--metric",
      description =
          "acc, acc_norm or acc_mi (default: that of the report already in ROOT, as its sweep"
              + " file set it; else acc).")
  String metric;

  @Option(
      names = "--margin",
      description =
          "Equivalence margin: a score \"holds\" when its change's 90%% interval lies within"
              + " ±margin (default: that of the report already in ROOT; else "
              + Report.Settings.DEFAULT_MARGIN
              + ").")
  Double margin;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    String qualified = QualifiedPaths.qualify(root, RunDir.hadoopConf());
    // Made again, a report keeps the settings it was made with (a sweep's metric and margin)
    // unless told otherwise.
    Report.Settings saved = Report.Settings.saved(qualified, RunDir.hadoopConf());
    String metric = this.metric != null ? this.metric : saved.metric();
    double margin = this.margin != null ? this.margin : saved.margin();
    if (!Curves.METRICS.contains(metric)) {
      throw new ParameterException(
          spec.commandLine(),
          "--metric " + metric + " is not one of " + String.join(", ", Curves.METRICS));
    }
    if (!(margin > 0 && margin < 1)) {
      throw new ParameterException(
          spec.commandLine(),
          "--margin " + margin + " is not in (0, 1): it is a share of items, e.g. 0.02");
    }
    Report report;
    try {
      report = Report.read(qualified, RunDir.hadoopConf(), new Report.Settings(metric, margin));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e, null, root);
    }
    ReportFiles.publish(report, qualified, RunDir.hadoopConf(), System.out);
    return 0;
  }
}
