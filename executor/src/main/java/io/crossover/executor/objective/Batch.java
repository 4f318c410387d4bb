package io.crossover.executor.objective;

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
}
