package io.crossover.executor.eval;

import ai.djl.ndarray.NDManager;
import io.crossover.executor.allreduce.Collective;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.score.RowLosses;
import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * Held-out loss per token, deterministic so that successive evaluations are comparable, per
 * sequence (so that the report can put an interval on a difference) and on average. What it is
 * depends on the objective ({@link Objective#lossKind()}): AR's exact NLL, MDM's negative ELBO on a
 * fixed t grid with fixed masks, an upper bound on its NLL — never compare the two as if both were
 * likelihoods.
 */
public final class ValidationLoss {
  private ValidationLoss() {}

  /**
   * Result.
   *
   * @param loss nats per token, the mean over sequences
   * @param kind {@code nll} or {@code elbo}
   * @param perSequence each sequence's loss per token
   */
  public record Result(double loss, String kind, double[] perSequence) {}

  /** Loss over {@code sequences} (each L tokens), in batches of {@code batch} rows. */
  public static Result compute(
      Transformer model,
      Objective objective,
      int[][] sequences,
      int batch,
      int tPoints,
      NDManager manager) {
    return compute(model, objective, sequences, batch, tPoints, manager, Collective.SINGLE);
  }

  /**
   * The same, with the batches shared round-robin over the ranks; one sum over the ranks gives
   * every rank every sequence's loss (the others add zeros), so the result is the same for any W.
   */
  public static Result compute(
      Transformer model,
      Objective objective,
      int[][] sequences,
      int batch,
      int tPoints,
      NDManager manager,
      Collective ranks) {
    return compute(model, objective, sequences, batch, tPoints, manager, ranks, done -> {});
  }

  /** As above; {@code progress} hears how many of this rank's sequences are done. */
  public static Result compute(
      Transformer model,
      Objective objective,
      int[][] sequences,
      int batch,
      int tPoints,
      NDManager manager,
      Collective ranks,
      IntConsumer progress) {
    int rows = sequences.length;
    int done = 0;
    float[] perSequence = new float[rows];
    for (int b = 0; b * batch < rows; b++) {
      if (!ranks.owns(b)) {
        continue;
      }
      int from = b * batch;
      int[][] chunk = Arrays.copyOfRange(sequences, from, Math.min(rows, from + batch));
      for (Objective.Scaled part : objective.validationBatches(chunk, from, tPoints)) {
        double[] losses =
            RowLosses.of(
                model,
                manager,
                part.batch().inputs(),
                part.batch().targets(),
                part.batch().weights(),
                objective.causal());
        for (int r = 0; r < losses.length; r++) {
          perSequence[from + r] += (float) (part.scale() * losses[r]);
        }
      }
      done += chunk.length;
      progress.accept(done);
    }
    ranks.sum(perSequence);
    double[] out = new double[rows];
    double total = 0;
    for (int r = 0; r < rows; r++) {
      out[r] = perSequence[r];
      total += perSequence[r];
    }
    return new Result(rows == 0 ? Double.NaN : total / rows, objective.lossKind(), out);
  }
}
