package io.crossover.driver.cli;

import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.driver.process.QualifiedPaths;
import io.crossover.driver.report.render.ReportFiles;
import io.crossover.driver.run.RunDir;
import io.crossover.driver.spark.Ingest;
import io.crossover.driver.sweep.SweepRunner;
import io.crossover.driver.sweep.SweepSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code crossover quickstart}: the whole pipeline on the shipped Brown slice. */
@Command(
    name = "quickstart",
    header =
        "Ingest the shipped Brown slice, run a tiny AR and MDM sweep on it and write the report.",
    mixinStandardHelpOptions = true,
    description = {
      "Ingest the shipped Brown slice, run a tiny sweep on it (AR and MDM at two unique-token",
      "budgets, 2 ranks on the embedded Spark cluster) and write the crossover report. Uses",
      "conf/quickstart.conf and conf/sweeps/quickstart.conf; --set overrides any key."
    })
public final class QuickstartCommand implements Callable<Integer> {
  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Override one config key (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() {
    long start = System.nanoTime();
    List<String> all = new ArrayList<>();
    CrossoverConfig probe = ConfigLoader.load("quickstart", overrides);
    // Run from anywhere: the shipped corpus lives in the installation, not in the cwd.
    if (overrides.stream().noneMatch(o -> o.startsWith("data.input.path="))) {
      all.add(
          "data.input.path="
              + QualifiedPaths.qualify(probe.data().input().path(), new Configuration()));
    }
    all.addAll(overrides);
    CrossoverConfig config = ConfigLoader.load("quickstart", all);
    System.out.println(
        "== 1/3 ingest " + config.data().input().path() + " -> " + config.data().dataset());
    Ingest.run(config, true);

    SweepSpec spec =
        SweepSpec.load("quickstart")
            .withRoot(
                new Path(QualifiedPaths.qualify(config.run().root(), new Configuration()), "sweeps")
                    .toString());
    Path dir = new Path(spec.root(), spec.name());
    // A fresh start: the dataset was just rebuilt and --set may have changed any setting.
    delete(dir);
    System.out.println("== 2/3 sweep " + spec.name() + " into " + dir);
    // The sweep names each run's directory itself; run.root went into its root above.
    List<String> perRun = all.stream().filter(o -> !o.startsWith("run.root=")).toList();
    int code = SweepRunner.run(spec, perRun, false, false, true, false);
    System.out.println("== 3/3 report");
    ReportFiles.write(dir.toString(), RunDir.hadoopConf(), System.out, spec.report());
    System.out.printf("quickstart: done in %.1f s%n", (System.nanoTime() - start) / 1e9);
    return code;
  }

  private static void delete(Path dir) {
    try {
      FileSystem fs = dir.getFileSystem(new Configuration());
      if (fs.exists(dir)) {
        fs.delete(dir, true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir + ": " + e.getMessage(), e);
    }
  }
}
