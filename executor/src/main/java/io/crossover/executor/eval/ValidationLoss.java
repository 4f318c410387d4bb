package io.crossover.executor.eval;

import ai.djl.ndarray.NDManager;
import io.crossover.executor.allreduce.Collective;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Autoregressive;
import io.crossover.executor.objective.Batch;
import io.crossover.executor.objective.MaskedDiffusion;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.train.TrainStep;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Held-out loss per token, deterministic so that successive evaluations are comparable:
 *
 * <ul>
 *   <li>AR: the exact NLL of next tokens ({@code nll});
 *   <li>MDM: the negative ELBO ({@code elbo}) on a fixed grid t_k = (k + 0.5)/K, each token masked
 *       with probability t_k by masks fixed per (sequence, k), weighted by 1/t_k. An upper bound on
 *       the NLL: never compare it with an AR NLL as if both were likelihoods.
 * </ul>
 */
public final class ValidationLoss {
  private ValidationLoss() {}

  /**
   * Result.
   *
   * @param loss nats per token
   * @param kind {@code nll} or {@code elbo}
   */
  public record Result(double loss, String kind) {}

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
   * every rank every batch's share, so the result is the same for any W.
   */
  public static Result compute(
      Transformer model,
      Objective objective,
      int[][] sequences,
      int batch,
      int tPoints,
      NDManager manager,
      Collective ranks) {
    int rows = sequences.length;
    float[] shares = new float[(rows + batch - 1) / batch];
    for (int b = 0; b < shares.length; b++) {
      if (!ranks.owns(b)) {
        continue;
      }
      int from = b * batch;
      int[][] chunk = Arrays.copyOfRange(sequences, from, Math.min(rows, from + batch));
      double share = (double) chunk.length / rows;
      double part = 0;
      if (objective instanceof MaskedDiffusion mdm) {
        for (int k = 0; k < tPoints; k++) {
          double t = (k + 0.5) / tPoints;
          part +=
              share
                  / tPoints
                  * loss(model, objective, elboBatch(chunk, t, mdm.maskId(), from, k), manager);
        }
      } else {
        part =
            share
                * loss(model, objective, new Autoregressive().prepare(chunk, null, null), manager);
      }
      shares[b] = (float) part;
    }
    ranks.sum(shares);
    double total = 0;
    for (float share : shares) {
      total += share;
    }
    return new Result(total, objective instanceof MaskedDiffusion ? "elbo" : "nll");
  }

  private static double loss(
      Transformer model, Objective objective, Batch batch, NDManager manager) {
    try (NDManager step = manager.newSubManager()) {
      return TrainStep.loss(step, model, objective, batch).getFloat();
    }
  }

  /** Masks with probability t from a stream fixed by (first row, k); weight 1/(t L) per row. */
  private static Batch elboBatch(int[][] tokens, double t, int maskId, int firstRow, int k) {
    int rows = tokens.length;
    int length = tokens[0].length;
    int[][] inputs = new int[rows][];
    float[][] weights = new float[rows][length];
    float w = (float) (1.0 / (t * length * rows));
    for (int r = 0; r < rows; r++) {
      SplittableRandom random = Objective.noise(0x5EED, firstRow + r, k);
      inputs[r] = tokens[r].clone();
      for (int i = 0; i < length; i++) {
        if (random.nextDouble() < t) {
          inputs[r][i] = maskId;
          weights[r][i] = w;
        }
      }
    }
    return new Batch(inputs, tokens, weights);
  }
}
