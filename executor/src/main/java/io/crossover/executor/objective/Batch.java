package io.crossover.executor.objective;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the model sees and what it is scored on, for one rank's micro-batch: the loss is {@code
 * sum(weights * -log p(targets | inputs))}. Weights sum to 1 over the batch, so averaging gradients
 * over ranks gives the global mean.
 *
 * @param inputs (B, L') token ids fed to the model
 * @param targets (B, L') ids each position is scored on
 * @param weights (B, L') each position's weight in the loss (0: not scored)
 * @param dropoutSeed seeds libtorch's generator before a forward pass with dropout, so that a
 *     resumed run draws the same dropout masks (0 when the objective has no dropout)
 */
public record Batch(int[][] inputs, int[][] targets, float[][] weights, long dropoutSeed) {

  public Batch(int[][] inputs, int[][] targets, float[][] weights) {
    this(inputs, targets, weights, 0);
  }

  /** Positions scored (weight above 0). */
  public long scoredTokens() {
    long n = 0;
    for (float[] row : weights) {
      for (float w : row) {
        if (w > 0) {
          n++;
        }
      }
    }
    return n;
  }

  /**
   * The batch cut into micro-batches of {@code rows} rows (the last may be shorter; 0 or at least
   * the batch's rows: one micro-batch). The weights are not renormalised: they still sum to 1 over
   * the whole batch, so the micro-batches' gradients add up to the batch's. Micro-batch 0 keeps the
   * dropout seed, so that a run without micro-batches draws the same masks as before.
   */
  public List<Batch> split(int rows) {
    int total = inputs.length;
    if (rows <= 0 || rows >= total) {
      return List.of(this);
    }
    List<Batch> out = new ArrayList<>();
    for (int from = 0, j = 0; from < total; from += rows, j++) {
      int to = Math.min(total, from + rows);
      out.add(
          new Batch(
              Arrays.copyOfRange(inputs, from, to),
              Arrays.copyOfRange(targets, from, to),
              Arrays.copyOfRange(weights, from, to),
              dropoutSeed == 0 || j == 0 ? dropoutSeed : mix(dropoutSeed, j)));
    }
    return out;
  }

  private static long mix(long seed, int microStep) {
    long z = seed + microStep * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    long mixed = z ^ (z >>> 31);
    return mixed == 0 ? 1 : mixed;
  }
}
