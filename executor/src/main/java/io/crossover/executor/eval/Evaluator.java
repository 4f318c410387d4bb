package io.crossover.executor.eval;

import ai.djl.ndarray.NDManager;
import io.crossover.data.config.EvalConfig;
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
  private final int[][] validation;
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
      int[][] validation,
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

  /** Evaluates the model as it is now. */
  public EvalRecord evaluate(long step, long tokensSeen, long uniqueTokens) {
    long start = System.nanoTime();
    double valLoss = Double.NaN;
    String kind = objective.causal() ? "nll" : "elbo";
    if (validation.length > 0) {
      ValidationLoss.Result r =
          ValidationLoss.compute(
              model, objective, validation, config.batch(), config.mdmTPoints(), manager, ranks);
      valLoss = r.loss();
      kind = r.kind();
    }
    Map<String, McResult> results = new LinkedHashMap<>();
    Scorer scorer = new Scorer(model, objective, seqLen, config.mdmSamples(), manager);
    for (McTasks.Task task : tasks) {
      results.put(
          task.name(), MultipleChoice.evaluate(task.items(), tokenizer, scorer, seed, ranks));
    }
    return new EvalRecord(
        step,
        (double) tokensSeen / uniqueTokens,
        tokensSeen,
        uniqueTokens,
        valLoss,
        kind,
        results,
        (System.nanoTime() - start) / 1e9);
  }
}
