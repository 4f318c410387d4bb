package io.crossover.driver.cli;

import io.crossover.data.config.CrossoverConfig;
import io.crossover.driver.process.QualifiedPaths;
import io.crossover.driver.train.RunLauncher;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code crossover plan}: the exact token plan of a budget over an ingested dataset. */
@Command(
    name = "plan",
    mixinStandardHelpOptions = true,
    description = {
      "Plan a fixed-budget run: unique set, epochs, steps, what each rank reads.",
      "Prints the plan and makes the run directory run.root/run.name (config.json,",
      "identity.json, plan.json), which must not exist yet; --dry-run only prints."
    })
public final class PlanCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--dataset", description = "Dataset directory (data.dataset).")
  String dataset;

  @Option(
      names = "--unique-tokens",
      paramLabel = "U",
      description = "Unique tokens (budget.unique-tokens), e.g. 256Ki.")
  String unique;

  @Option(
      names = "--total-tokens",
      paramLabel = "T",
      description = "Total tokens (budget.total-tokens), e.g. 2Mi.")
  String total;

  @Option(names = "--seq-len", paramLabel = "L", description = "Sequence length (budget.seq-len).")
  String seqLen;

  @Option(
      names = "--global-batch",
      paramLabel = "B",
      description = "Sequences per step (budget.global-batch).")
  String globalBatch;

  @Option(
      names = "--world-size",
      paramLabel = "W",
      description = "Data-parallel ranks (cluster.world-size).")
  String worldSize;

  @Option(names = "--seed", description = "Run seed (run.seed).")
  String seed;

  @Option(names = "--run", paramLabel = "NAME", description = "Run name (run.name).")
  String run;

  @Option(
      names = "--show",
      defaultValue = "4",
      description = "Sequences of rank 0 to show (default ${DEFAULT-VALUE}).")
  int show;

  @Option(names = "--dry-run", description = "Print the plan without making the run directory.")
  boolean dryRun;

  @Override
  public Integer call() {
    CrossoverConfig c =
        config.load(
            new ConfigOptions.Sugar()
                .put("--dataset", "data.dataset", dataset)
                .put("--unique-tokens", "budget.unique-tokens", unique)
                .put("--total-tokens", "budget.total-tokens", total)
                .put("--seq-len", "budget.seq-len", seqLen)
                .put("--global-batch", "budget.global-batch", globalBatch)
                .put("--world-size", "cluster.world-size", worldSize)
                .put("--seed", "run.seed", seed)
                .put("--run", "run.name", run));
    RunLauncher.planAndSave(
        QualifiedPaths.of(c, new Configuration()), new Configuration(), show, dryRun);
    return 0;
  }
}
