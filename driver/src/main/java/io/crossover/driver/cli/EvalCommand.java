package io.crossover.driver.cli;

import io.crossover.data.Json;
import io.crossover.data.cloze.BlindAudit;
import io.crossover.data.config.EvalConfig;
import io.crossover.data.read.ValidationSample;
import io.crossover.data.shard.Dataset;
import io.crossover.data.tokenize.Tokenizer;
import io.crossover.data.tokenize.TokenizerSpec;
import io.crossover.driver.process.QualifiedPaths;
import io.crossover.driver.run.Checkpoint;
import io.crossover.executor.eval.EvalRecord;
import io.crossover.executor.eval.Evaluator;
import io.crossover.executor.eval.McResult;
import io.crossover.executor.eval.McTasks;
import io.crossover.executor.eval.TaskAudit;
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
      "and multiple-choice tasks. Prints a table and, with --json, one JSON line.",
      "--audit first scores each task with surface baselines that must stay at chance (no",
      "checkpoint needed: --audit --tasks ... [--dataset D] audits alone)."
    })
public final class EvalCommand implements Callable<Integer> {
  @picocli.CommandLine.Mixin CheckpointTrust trust;

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
          "Score each task with the blind audit's surface baselines (length, word frequency over"
              + " the dataset's splits, case and punctuation against the context, a"
              + " cross-validated classifier) before evaluating; a task on which one beats chance"
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
    EvalConfig.MdmScoring scoring = mdmScoring == null ? null : scoring(mdmScoring);
    if (checkpoint == null && !audit) {
      throw new ParameterException(
          spec.commandLine(), "give --checkpoint (or --run), or --audit with --tasks");
    }
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
      Dataset data = null;
      ValidationSample validation = ValidationSample.NONE;
      try {
        data = Dataset.open(c.config.data().dataset(), hadoop);
        validation =
            ValidationSample.draw(
                data,
                data.manifest().validation(),
                c.config.eval().validationSequences(),
                c.config.budget().seqLen(),
                c.config.eval().validationSeed(),
                c.config.reader(),
                allocator);
      } catch (IllegalArgumentException e) {
        System.out.println("no validation loss: " + e.getMessage());
      }
      if (audit) {
        audit(loaded, dataset != null ? open(hadoop) : data, c.tokenizer);
      }
      Objective objective = Objective.of(c.config.objective(), c.tokenizer.specials().mask());
      EvalConfig e = c.config.eval();
      EvalConfig eval =
          e.with(
              scoring != null ? scoring : e.mdmScoring(),
              mdmSamples != null ? mdmSamples : e.mdmSamples(),
              precision != null ? precision : e.precision());
      // Labelled with where training was, so the record reads like the run's own evaluations.
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
              .progress(System.out::println)
              .evaluate(
                  c.state.step(), c.state.tokensSeen(), c.config.budget().uniqueTokens(), true);
      System.out.printf(
          Locale.ROOT,
          "%s (%s, step %d, epoch %.2f, %s tokens, %.3g training FLOPs; %s forward)%s%n",
          c.dir,
          objective.name(),
          r.step(),
          r.epoch(),
          io.crossover.data.config.Counts.grouped(r.tokensSeen()),
          r.trainingFlops(),
          c.model.numerics().eval().label(),
          Double.isNaN(r.valLoss())
              ? ": no validation loss"
              : String.format(Locale.ROOT, ": val %s %.4f", r.valLossKind(), r.valLoss()));
      if (r.scoring() != null) {
        System.out.println("choices scored by: " + r.scoring());
      }
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
      return 0;
    }
  }

  private static EvalConfig.MdmScoring scoring(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("exact")) {
      throw new io.crossover.data.UserException(
          "--mdm-scoring exact was renamed left-to-right: the likelihood of a left-to-right model"
              + " built from the MDM's conditionals, which is not the MDM's own likelihood");
    }
    for (EvalConfig.MdmScoring s : EvalConfig.MdmScoring.values()) {
      if (s.label().equals(v)) {
        return s;
      }
    }
    throw new io.crossover.data.UserException(
        "--mdm-scoring " + value + " is not sampled or left-to-right");
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
      audit(loaded, null, null);
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
      audit(loaded, data, tokenizer);
      return 0;
    }
  }

  /** Prints each task's audit; refuses the tasks when a baseline beats chance on any. */
  private static void audit(List<McTasks.Task> loaded, Dataset data, Tokenizer tokenizer) {
    List<String> failed = new ArrayList<>();
    for (McTasks.Task t : loaded) {
      BlindAudit.Result a = TaskAudit.of(t, data, tokenizer);
      System.out.print(a.table());
      if (!a.passed()) {
        failed.add(t.name() + ": " + a.failures());
      }
    }
    if (!failed.isEmpty()) {
      throw new io.crossover.data.UserException(
          "--audit: the answer of "
              + String.join("; ", failed)
              + " (95% simultaneous intervals); such a task measures its construction, not a"
              + " model: rebuild it (crossover cloze) or drop it");
    }
  }
}
