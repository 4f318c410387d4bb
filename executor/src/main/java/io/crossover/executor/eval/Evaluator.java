package io.crossover.executor.eval;

import ai.djl.ndarray.NDManager;
import io.crossover.data.config.EvalConfig;
import io.crossover.data.read.ValidationSample;
import io.crossover.data.tokenize.Tokenizer;
import io.crossover.executor.allreduce.Collective;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.score.Likelihood;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Validation loss and multiple-choice tasks for one model, at any point of a run, with the work
 * shared over the ranks.
 */
public final class Evaluator {
  /**
   * What is evaluated on.
   *
   * @param validation the held-out sequences of the validation loss
   * @param tasks the multiple-choice tasks
   * @param tokenizer what turns the tasks' text into tokens
   */
  public record Data(ValidationSample validation, List<McTasks.Task> tasks, Tokenizer tokenizer) {}

  /**
   * How it is evaluated.
   *
   * @param config the eval section: batch, t grid, MDM scoring, item limits
   * @param seqLen the model's sequence length
   * @param seed fixes the scorers' noise
   */
  public record Settings(EvalConfig config, int seqLen, long seed) {}

  private final Transformer model;
  private final Objective objective;
  private final Data data;
  private final Settings settings;
  private final NDManager manager;
  private final Collective ranks;
  private Consumer<String> progress = line -> {};

  /**
   * An evaluator; with several ranks every rank makes one and calls {@link #evaluate} at the same
   * points, each doing its share of the work.
   */
  public Evaluator(
      Transformer model,
      Objective objective,
      Data data,
      Settings settings,
      NDManager manager,
      Collective ranks) {
    this.model = model;
    this.objective = objective;
    this.data = data;
    this.settings = settings;
    this.manager = manager;
    this.ranks = ranks;
  }

  /**
   * Where progress lines go when an evaluation takes more than a few seconds (by default nowhere).
   */
  public Evaluator progress(Consumer<String> lines) {
    this.progress = lines;
    return this;
  }

  /** Evaluates the model as it is now, on every loaded item. */
  public EvalRecord evaluate(long step, long tokensSeen, long uniqueTokens) {
    return evaluate(step, tokensSeen, uniqueTokens, true);
  }

  /**
   * Evaluates the model as it is now; before the final evaluation ({@code last} false) each task is
   * cut to its first eval.max-items items.
   */
  public EvalRecord evaluate(long step, long tokensSeen, long uniqueTokens, boolean last) {
    long start = System.nanoTime();
    EvalProgress shown = new EvalProgress(step, ranks.worldSize(), progress);
    shown.phase("validation");
    ValidationSample validation = data.validation();
    EvalConfig config = settings.config();
    int sequences = validation.size();
    ValidationLoss.Result loss =
        ValidationLoss.compute(
            model,
            objective,
            validation.sequences(),
            config.batch(),
            config.mdmTPoints(),
            manager,
            ranks,
            done -> shown.done(done, sequences, "sequences"));
    Map<String, McResult> results = new LinkedHashMap<>();
    Likelihood scorer = objective.scorer(model, settings.seqLen(), config, manager);
    for (McTasks.Task task : data.tasks()) {
      List<McItem> items = task.items();
      if (!last && config.maxItems() > 0 && items.size() > config.maxItems()) {
        items = items.subList(0, config.maxItems());
      }
      int n = items.size();
      shown.phase(task.name());
      McResult r =
          MultipleChoice.evaluate(
              items,
              data.tokenizer(),
              scorer,
              settings.seed(),
              ranks,
              done -> shown.done(done, n, "items"));
      results.put(task.name(), r.withTask(task.sha256()));
    }
    return new EvalRecord(
        step,
        (double) tokensSeen / uniqueTokens,
        tokensSeen,
        uniqueTokens,
        loss.loss(),
        loss.kind(),
        results,
        (System.nanoTime() - start) / 1e9,
        loss.perSequence(),
        tokensSeen
            * objective.trainingFlopsPerToken(model.config(), model.vocabSize(), settings.seqLen()),
        validation.docs(),
        data.tasks().isEmpty() ? null : scorer.describe());
  }
}
