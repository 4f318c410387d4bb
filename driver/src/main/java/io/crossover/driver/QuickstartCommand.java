package io.crossover.driver;

import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code crossover quickstart}: the whole pipeline on the shipped Brown slice. */
@Command(
    name = "quickstart",
    mixinStandardHelpOptions = true,
    description = {
      "Ingest the shipped Brown slice, then train AR and MDM tiny models on it and compare them.",
      "Runs on the embedded Spark cluster (2 ranks) with the byte tokenizer; evaluates on the",
      "shipped cloze items; uses conf/quickstart.conf, and --set overrides any key."
    })
final class QuickstartCommand implements Callable<Integer> {
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
        "== 1/4 ingest " + config.data().input().path() + " -> " + config.data().dataset());
    IngestCommand.run(config, true);
    System.out.println("== 2/4 plan");
    Plans.planAndSave(config, new Configuration(), 4);
    List<String> runs = new ArrayList<>();
    int part = 3;
    for (String objective : List.of("ar", "mdm")) {
      List<String> withObjective = new ArrayList<>(all);
      withObjective.add("objective.type=" + objective);
      withObjective.add("run.name=quickstart-" + objective);
      CrossoverConfig run = ConfigLoader.load("quickstart", withObjective);
      System.out.println(
          "== " + part++ + "/4 train " + objective + " (" + run.cluster().worldSize() + " ranks)");
      CrossoverConfig qualified = QualifiedPaths.of(run, new Configuration());
      TrainSession.run(qualified, RunDir.Existing.REPLACE);
      runs.add(new org.apache.hadoop.fs.Path(qualified.run().root(), run.run().name()).toString());
    }
    System.out.print(Comparison.table(runs, new Configuration()));
    System.out.printf("quickstart: done in %.1f s%n", (System.nanoTime() - start) / 1e9);
    return 0;
  }
}
