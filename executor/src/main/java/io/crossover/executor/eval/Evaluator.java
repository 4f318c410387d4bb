package io.crossover.executor.eval;

import ai.djl.ndarray.NDManager;
import io.crossover.data.config.EvalConfig;
import io.crossover.data.read.ValidationSample;
import io.crossover.data.tokenize.Tokenizer;
import io.crossover.executor.allreduce.Collective;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Objective;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Validation loss and multiple-choice tasks for one model, at any point of a run, with the work
 * shared over the ranks.
 */
public final class Evaluator {
  private final Transformer model;
  private final Objective objective;
  private final Tokenizer tokenizer;
  private final ValidationSample validation;
  private java.util.function.Consumer<String> progress = line -> {};
  private final List<McTasks.Task> tasks;
  private final EvalConfig config;
  private final int seqLen;
  private final long seed;
  private final NDManager manager;
  private final Collective ranks;

  /**
   * An evaluator; with several ranks every rank makes one and calls {@link #evaluate} at the same
   * points, each doing its share of the work.
   */
  public Evaluator(
      Transformer model,
      Objective objective,
      Tokenizer tokenizer,
      ValidationSample validation,
      List<McTasks.Task> tasks,
      EvalConfig config,
      int seqLen,
      long seed,
      NDManager manager,
      Collective ranks) {
    this.ranks = ranks;
    this.model = model;
    this.objective = objective;
    this.tokenizer = tokenizer;
    this.validation = validation;
    this.tasks = tasks;
    this.config = config;
    this.seqLen = seqLen;
    this.seed = seed;
    this.manager = manager;
  }

  /**
   * Where progress lines go when an evaluation takes more than a few seconds (by default nowhere).
   */
  public Evaluator progress(java.util.function.Consumer<String> lines) {
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
    Likelihood scorer = objective.scorer(model, seqLen, config, manager);
    for (McTasks.Task task : tasks) {
      List<McItem> items = task.items();
      if (!last && config.maxItems() > 0 && items.size() > config.maxItems()) {
        items = items.subList(0, config.maxItems());
      }
      int n = items.size();
      shown.phase(task.name());
      McResult r =
          MultipleChoice.evaluate(
              items, tokenizer, scorer, seed, ranks, done -> shown.done(done, n, "items"));
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
        tokensSeen * objective.trainingFlopsPerToken(model.config(), model.vocabSize(), seqLen),
        validation.docs(),
        tasks.isEmpty() ? null : scorer.describe());
  }
}
