package io.crossover.driver.cli;

import io.crossover.data.UserException;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.driver.process.Invocation;
import io.crossover.driver.process.QualifiedPaths;
import io.crossover.driver.run.RunDir;
import io.crossover.driver.train.RunLauncher;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code crossover train}: one run, in this process (one rank) or on a Spark barrier stage. */
@Command(
    name = "train",
    header = "Train one model (AR or MDM) on a fixed token budget, alone or on Spark.",
    mixinStandardHelpOptions = true,
    description = {
      "Train one model (AR or MDM) on a fixed token budget: in this process when",
      "cluster.world-size is 1, else data-parallel on a Spark barrier stage of that many ranks.",
      "Writes config.json, plan.json, metrics.jsonl, evals.jsonl, checkpoints and DONE into",
      "run.root/run.name. --resume goes on from the newest intact checkpoint; the run's",
      "identity (data, budget, model, objective, optim, seed, world size, eval) must not change."
    })
public final class TrainCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--objective", description = "ar or mdm (objective.type).")
  String objective;

  @Option(names = "--preset", description = "Model shape (model.preset).")
  String preset;

  @Option(names = "--dataset", description = "Dataset directory (data.dataset).")
  String dataset;

  @Option(names = "--unique-tokens", paramLabel = "U", description = "budget.unique-tokens")
  String unique;

  @Option(names = "--total-tokens", paramLabel = "T", description = "budget.total-tokens")
  String total;

  @Option(names = "--seq-len", paramLabel = "L", description = "budget.seq-len")
  String seqLen;

  @Option(names = "--global-batch", paramLabel = "B", description = "budget.global-batch")
  String globalBatch;

  @Option(names = "--lr", description = "Peak learning rate (optim.lr).")
  String lr;

  @Option(names = "--run", paramLabel = "NAME", description = "Run name (run.name).")
  String run;

  @Option(names = "--overwrite", description = "Replace an existing run directory's results.")
  boolean overwrite;

  @Option(
      names = "--resume",
      description = "Continue the run from its latest checkpoint (from the start if it has none).")
  boolean resume;

  @Option(
      names = "--accept-missing-identity",
      description =
          "Go on with a run whose identity.json is missing, recording the hashes of the data and"
              + " tasks given now (a resume can then no longer tell them from the run's own).")
  boolean acceptMissingIdentity;

  @Mixin CheckpointTrust trust;

  @Override
  public Integer call() {
    CrossoverConfig c =
        config.load(
            new ConfigOptions.Sugar()
                .put("--objective", "objective.type", objective)
                .put("--preset", "model.preset", preset)
                .put("--dataset", "data.dataset", dataset)
                .put("--unique-tokens", "budget.unique-tokens", unique)
                .put("--total-tokens", "budget.total-tokens", total)
                .put("--seq-len", "budget.seq-len", seqLen)
                .put("--global-batch", "budget.global-batch", globalBatch)
                .put("--lr", "optim.lr", lr)
                .put("--run", "run.name", run));
    if (resume && overwrite) {
      throw new UserException("run.name: --resume and --overwrite exclude each other");
    }
    RunLauncher.run(
        QualifiedPaths.of(c, new Configuration()),
        new RunLauncher.Start(
            overwrite
                ? RunDir.Existing.REPLACE
                : resume ? RunDir.Existing.KEEP : RunDir.Existing.REFUSE,
            new RunDir.Restart(RunDir.Restart.TRAIN.startAgain(), acceptMissingIdentity),
            trust.acceptUnverified,
            Invocation.commandLineWith(List.of("--overwrite", "--resume"), "--resume")),
        null);
    return 0;
  }
}
