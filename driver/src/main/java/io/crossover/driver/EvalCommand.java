package io.crossover.driver;

import io.crossover.data.Json;
import io.crossover.data.shard.Dataset;
import io.crossover.executor.eval.EvalRecord;
import io.crossover.executor.eval.Evaluator;
import io.crossover.executor.eval.McResult;
import io.crossover.executor.eval.McTasks;
import io.crossover.executor.objective.Objective;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code crossover eval}: validation loss and multiple-choice tasks for a checkpoint. */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = {
      "Evaluate a checkpoint: validation loss on its dataset's held-out split (when reachable)",
      "and multiple-choice tasks. Prints a table and, with --json, one JSON line."
    })
final class EvalCommand implements Callable<Integer> {
  @Option(
      names = {"--checkpoint", "--run"},
      required = true,
      description = "A checkpoint directory, or a run directory (latest checkpoint).")
  String checkpoint;

  @Option(
      names = "--tasks",
      split = ",",
      description =
          "Tasks as name=format:path (format mc, hellaswag, mmlu); default: the run's eval.tasks.")
  List<String> tasks;

  @Option(names = "--max-items", defaultValue = "0", description = "Items per task (0: all).")
  int maxItems;

  @Option(names = "--json", description = "Print the result as one JSON line last.")
  boolean json;

  @Option(
      names = "--mdm-scoring",
      description =
          "MDM: sampled (the conditional ELBO, eval.mdm-samples rows per choice) or exact (the"
              + " chain-rule likelihood, one row per choice token); default: the run's eval.mdm-scoring.")
  io.crossover.data.config.EvalConfig.MdmScoring mdmScoring;

  @Option(
      names = "--mdm-samples",
      description = "MDM: samples per choice when sampled; default: the run's eval.mdm-samples.")
  Integer mdmSamples;

  @Option(
      names = "--precision",
      description =
          "Forward-pass precision: fp32, bf16 or auto (bf16 where the hardware has it); default:"
              + " the run's eval.precision.")
  io.crossover.data.config.TrainConfig.PrecisionSetting precision;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    if (mdmSamples != null && mdmSamples < 1) {
      throw new ParameterException(
          spec.commandLine(), "--mdm-samples " + mdmSamples + " must be >= 1");
    }
    if (maxItems < 0) {
      throw new ParameterException(
          spec.commandLine(), "--max-items " + maxItems + " must be >= 0 (0: every item)");
    }
    Configuration hadoop = new Configuration();
    try (Checkpoint c = Checkpoint.open(checkpoint, hadoop, precision);
        RootAllocator allocator = new RootAllocator()) {
      List<McTasks.Task> loaded = new ArrayList<>();
      for (String spec : tasks != null ? tasks : c.config.eval().tasks()) {
        loaded.add(McTasks.load(spec, maxItems, hadoop));
      }
      int[][] validation = new int[0][];
      try {
        Dataset dataset = Dataset.open(c.config.data().dataset(), hadoop);
        validation =
            io.crossover.data.read.ArrowTokenReader.firstSequences(
                dataset,
                dataset.manifest().validation(),
                c.config.eval().validationSequences(),
                c.config.budget().seqLen(),
                c.config.reader(),
                allocator);
      } catch (IllegalArgumentException e) {
        System.out.println("no validation loss: " + e.getMessage());
      }
      Objective objective = Objective.of(c.config.objective(), c.tokenizer.specials().mask());
      io.crossover.data.config.EvalConfig e = c.config.eval();
      io.crossover.data.config.EvalConfig eval =
          new io.crossover.data.config.EvalConfig(
              e.everyEpoch(),
              e.everyTokens(),
              e.minPoints(),
              e.validationSequences(),
              e.batch(),
              e.tasks(),
              e.maxItems(),
              e.finalMaxItems(),
              mdmSamples != null ? mdmSamples : e.mdmSamples(),
              e.mdmTPoints(),
              mdmScoring != null ? mdmScoring : e.mdmScoring(),
              precision != null ? precision : e.precision());
      EvalRecord r =
          new Evaluator(
                  c.model,
                  objective,
                  c.tokenizer,
                  validation,
                  loaded,
                  eval,
                  c.config.budget().seqLen(),
                  c.config.run().seed(),
                  c.manager(),
                  io.crossover.executor.allreduce.Collective.SINGLE)
              .evaluate(0, 0, c.config.budget().uniqueTokens());
      System.out.printf(
          Locale.ROOT,
          "%s (%s, %s forward): val %s %.4f%n",
          c.dir,
          objective.name(),
          c.model.numerics().eval().label(),
          r.valLossKind(),
          r.valLoss());
      System.out.printf(
          Locale.ROOT,
          "%-12s %6s %8s %8s %8s %10s %10s %10s%n",
          "task",
          "items",
          "acc",
          "acc_norm",
          "acc_mi",
          "nll_right",
          "nll_wrong",
          "delta_nll");
      for (Map.Entry<String, McResult> t : r.tasks().entrySet()) {
        McResult m = t.getValue();
        System.out.printf(
            Locale.ROOT,
            "%-12s %6d %8.3f %8.3f %8.3f %10.3f %10.3f %10.3f%n",
            t.getKey(),
            m.items(),
            m.acc(),
            m.accNorm(),
            m.accMi(),
            m.nllCorrect(),
            m.nllWrong(),
            m.deltaNll());
      }
      if (json) {
        System.out.println(Json.snakeLine(r));
      }
    }
    return 0;
  }
}
