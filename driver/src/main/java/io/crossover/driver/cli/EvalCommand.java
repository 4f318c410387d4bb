package io.crossover.driver.cli;

import io.crossover.data.Json;
import io.crossover.data.config.EvalConfig;
import io.crossover.data.config.TrainConfig;
import io.crossover.data.shard.Dataset;
import io.crossover.data.tokenize.Tokenizer;
import io.crossover.data.tokenize.TokenizerSpec;
import io.crossover.driver.process.IdleCores;
import io.crossover.driver.process.QualifiedPaths;
import io.crossover.driver.run.Checkpoint;
import io.crossover.driver.run.Evaluations;
import io.crossover.executor.eval.EvalRecord;
import io.crossover.executor.eval.McTasks;
import io.crossover.executor.objective.Objective;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code crossover eval}: validation loss and multiple-choice tasks for a checkpoint. */
@Command(
    name = "eval",
    header = "Evaluate a checkpoint: validation loss and multiple-choice tasks.",
    mixinStandardHelpOptions = true,
    description = {
      "Evaluate a checkpoint: validation loss on its dataset's held-out split (when reachable)",
      "and multiple-choice tasks. Prints a table and, with --json, one JSON line.",
      "--audit first scores each task with surface baselines that must stay at chance (no",
      "checkpoint needed: --audit --tasks ... [--dataset D] audits alone)."
    })
public final class EvalCommand implements Callable<Integer> {
  @CommandLine.Mixin CheckpointTrust trust;

  @Option(
      names = {"--checkpoint", "--run"},
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
      names = "--audit",
      description =
          "Score each task with the blind audit's rules (length, word frequency over"
              + " the dataset's splits, case and punctuation against the context, a"
              + " cross-validated classifier, every other field of an item) before evaluating; a"
              + " task on which one beats chance"
              + " is refused (exit 2).")
  boolean audit;

  @Option(
      names = "--dataset",
      description =
          "With --audit: the dataset whose splits give word frequencies (default: the"
              + " checkpoint's; without one, the tasks' own contexts).")
  String dataset;

  @Option(
      names = "--tokenizer",
      defaultValue = "byte",
      description =
          "With --audit --dataset and no checkpoint: the dataset's tokenizer, byte or"
              + " hf:<tokenizer.json> (default ${DEFAULT-VALUE}).")
  String tokenizerSpec;

  @Option(
      names = "--mdm-scoring",
      description =
          "MDM: sampled (the conditional ELBO, an upper bound on the NLL, eval.mdm-samples rows"
              + " per choice) or left-to-right (the likelihood of a left-to-right model built from"
              + " the MDM's conditionals: not the MDM's own); default: the run's eval.mdm-scoring.")
  String mdmScoring;

  @Option(
      names = "--mdm-samples",
      description = "MDM: samples per choice when sampled; default: the run's eval.mdm-samples.")
  Integer mdmSamples;

  @Option(
      names = "--precision",
      description =
          "Forward-pass precision: fp32, bf16 or auto (bf16 where the hardware has it); default:"
              + " the run's eval.precision.")
  TrainConfig.PrecisionSetting precision;

  @Option(
      names = "--threads",
      description =
          "libtorch threads for the forward passes; default: the cores idle now (the cores less"
              + " the load average, at least 1): more threads than idle cores ran 2x slower.")
  Integer threads;

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
    EvalConfig.MdmScoring scoring = mdmScoring == null ? null : Evaluations.scoring(mdmScoring);
    if (checkpoint == null && !audit) {
      throw new ParameterException(
          spec.commandLine(), "give --checkpoint (or --run), or --audit with --tasks");
    }
    int torchThreads =
        threads != null
            ? Inputs.positive(threads, "--threads", "libtorch threads")
            : IdleCores.now();
    // Before libtorch loads: its intra-op threads are fixed when the engine starts.
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(torchThreads));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    Configuration hadoop = new Configuration();
    if (checkpoint == null) {
      if (tasks == null) {
        throw new ParameterException(
            spec.commandLine(), "--audit without --checkpoint needs --tasks");
      }
      return auditOnly(hadoop);
    }
    try (Checkpoint c = Checkpoint.open(checkpoint, hadoop, precision, trust.acceptUnverified);
        RootAllocator allocator = new RootAllocator()) {
      List<McTasks.Task> loaded = load(tasks != null ? tasks : c.config.eval().tasks(), hadoop);
      Evaluations.Validation v = Evaluations.validation(c, hadoop, allocator);
      if (audit) {
        Evaluations.audit(loaded, dataset != null ? open(hadoop) : v.dataset(), c.tokenizer);
      }
      Objective objective = Evaluations.objective(c);
      EvalConfig e = c.config.eval();
      EvalConfig eval =
          e.with(
              scoring != null ? scoring : e.mdmScoring(),
              mdmSamples != null ? mdmSamples : e.mdmSamples(),
              precision != null ? precision : e.precision());
      EvalRecord r = Evaluations.evaluate(c, objective, v.sample(), loaded, eval);
      Evaluations.print(System.out, c, objective, r);
      if (json) {
        System.out.println(Json.snakeLine(r));
      }
      return 0;
    }
  }

  private List<McTasks.Task> load(List<String> specs, Configuration hadoop) {
    EvalConfig.checkNames(specs, tasks != null ? "--tasks" : "eval.tasks");
    List<McTasks.Task> loaded = new ArrayList<>();
    for (String s : specs) {
      loaded.add(McTasks.load(s, maxItems, hadoop));
    }
    return loaded;
  }

  private Dataset open(Configuration hadoop) {
    return Dataset.open(QualifiedPaths.qualify(dataset, hadoop), hadoop);
  }

  /** Audits alone: no model, frequencies from --dataset when given. */
  private int auditOnly(Configuration hadoop) {
    List<McTasks.Task> loaded = load(tasks, hadoop);
    if (dataset == null) {
      Evaluations.audit(loaded, null, null);
      return 0;
    }
    Dataset data = open(hadoop);
    try (Tokenizer tokenizer = TokenizerSpec.resolve(tokenizerSpec, hadoop).open()) {
      if (!tokenizer.id().equals(data.manifest().tokenizer())) {
        throw new ParameterException(
            spec.commandLine(),
            "--tokenizer "
                + tokenizerSpec
                + " is "
                + tokenizer.id()
                + " but "
                + dataset
                + " was tokenised with "
                + data.manifest().tokenizer()
                + "; give that tokenizer");
      }
      Evaluations.audit(loaded, data, tokenizer);
      return 0;
    }
  }
}
