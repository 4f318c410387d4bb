package io.crossover.driver.run;

import io.crossover.data.UserException;
import io.crossover.data.cloze.BlindAudit;
import io.crossover.data.config.Counts;
import io.crossover.data.config.EvalConfig;
import io.crossover.data.read.ValidationSample;
import io.crossover.data.shard.Dataset;
import io.crossover.data.tokenize.Tokenizer;
import io.crossover.executor.allreduce.Collective;
import io.crossover.executor.eval.EvalRecord;
import io.crossover.executor.eval.Evaluator;
import io.crossover.executor.eval.McResult;
import io.crossover.executor.eval.McTasks;
import io.crossover.executor.eval.TaskAudit;
import io.crossover.executor.objective.Objective;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.hadoop.conf.Configuration;

/**
 * A checkpoint evaluated outside training ({@code crossover eval}): its validation sample, the
 * evaluation itself labelled with where training was, its table; and the blind audit of tasks.
 */
public final class Evaluations {
  private Evaluations() {}

  /**
   * The dataset of a checkpoint's run (null when it cannot be opened) and its validation sample.
   */
  public record Validation(Dataset dataset, ValidationSample sample) {}

  /** The run's validation sample, or none (said once) when the dataset has no room for one. */
  public static Validation validation(
      Checkpoint c, Configuration hadoop, BufferAllocator allocator) {
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
    return new Validation(data, validation);
  }

  /** The objective the checkpoint was trained with. */
  public static Objective objective(Checkpoint c) {
    return Objective.of(c.config.objective(), c.tokenizer.specials().mask());
  }

  /** Evaluates the checkpoint's model on the validation sample and the tasks, with progress. */
  public static EvalRecord evaluate(
      Checkpoint c,
      Objective objective,
      ValidationSample validation,
      List<McTasks.Task> loaded,
      EvalConfig eval) {
    // Labelled with where training was, so the record reads like the run's own evaluations.
    return new Evaluator(
            c.model,
            objective,
            new Evaluator.Data(validation, loaded, c.tokenizer),
            new Evaluator.Settings(eval, c.config.budget().seqLen(), c.config.run().seed()),
            c.manager(),
            Collective.SINGLE)
        .progress(System.out::println)
        .evaluate(c.state.step(), c.state.tokensSeen(), c.config.budget().uniqueTokens(), true);
  }

  /** The evaluation's summary line and its table of tasks. */
  public static void print(PrintStream out, Checkpoint c, Objective objective, EvalRecord r) {
    out.printf(
        Locale.ROOT,
        "%s (%s, step %d, epoch %.2f, %s tokens, %.3g training FLOPs; %s forward)%s%n",
        c.dir,
        objective.name(),
        r.step(),
        r.epoch(),
        Counts.grouped(r.tokensSeen()),
        r.trainingFlops(),
        c.model.numerics().eval().label(),
        Double.isNaN(r.valLoss())
            ? ": no validation loss"
            : String.format(Locale.ROOT, ": val %s %.4f", r.valLossKind(), r.valLoss()));
    if (r.scoring() != null) {
      out.println("choices scored by: " + r.scoring());
    }
    out.printf(
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
      out.printf(
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
  }

  /** Prints each task's audit; refuses the tasks when a baseline beats chance on any. */
  public static void audit(List<McTasks.Task> loaded, Dataset data, Tokenizer tokenizer) {
    List<String> failed = new ArrayList<>();
    for (McTasks.Task t : loaded) {
      BlindAudit.Result a = TaskAudit.of(t, data, tokenizer);
      System.out.print(a.table());
      if (!a.passed()) {
        failed.add(t.name() + ": " + a.failures());
      }
    }
    if (!failed.isEmpty()) {
      throw new UserException(
          "--audit: the answer of "
              + String.join("; ", failed)
              + " (95% simultaneous intervals); such a task measures its construction, not a"
              + " model: rebuild it (crossover cloze) or drop it");
    }
  }

  /** The value of {@code --mdm-scoring}; the old name {@code exact} is refused with the new one. */
  public static EvalConfig.MdmScoring scoring(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("exact")) {
      throw new UserException(
          "--mdm-scoring exact was renamed left-to-right: the likelihood of a left-to-right model"
              + " built from the MDM's conditionals, which is not the MDM's own likelihood");
    }
    for (EvalConfig.MdmScoring s : EvalConfig.MdmScoring.values()) {
      if (s.label().equals(v)) {
        return s;
      }
    }
    throw new UserException("--mdm-scoring " + value + " is not sampled or left-to-right");
  }
}
