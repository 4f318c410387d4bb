package io.crossover.executor.score;

import ai.djl.ndarray.NDManager;
import io.crossover.executor.model.Transformer;
import java.util.Arrays;
import java.util.List;

/**
 * The exact NLL of each continuation under a causal model, {@code -sum log p(c_i | context, c_<i)}:
 * all choices of an item in one right-padded batch (padding after a row's end cannot reach it under
 * a causal mask). Sequences longer than {@code maxLength} lose context from the left.
 */
public final class CausalScorer implements Likelihood {
  private final Transformer model;
  private final int maxLength;
  private final NDManager manager;

  public CausalScorer(Transformer model, int maxLength, NDManager manager) {
    this.model = model;
    this.maxLength = maxLength;
    this.manager = manager;
  }

  @Override
  public Scores score(int[] context, List<int[]> continuations, long seed) {
    int rows = continuations.size();
    int width = 0;
    int[][] full = new int[rows][];
    for (int r = 0; r < rows; r++) {
      full[r] = RowLosses.truncate(RowLosses.concat(context, continuations.get(r)), maxLength + 1);
      width = Math.max(width, full[r].length - 1);
    }
    int[][] inputs = new int[rows][width];
    int[][] targets = new int[rows][width];
    float[][] weights = new float[rows][width];
    for (int r = 0; r < rows; r++) {
      int n = full[r].length - 1;
      System.arraycopy(full[r], 0, inputs[r], 0, n);
      System.arraycopy(full[r], 1, targets[r], 0, n);
      int scored = Math.min(continuations.get(r).length, n);
      Arrays.fill(weights[r], n - scored, n, 1f);
    }
    return new Scores(
        RowLosses.of(model, manager, inputs, targets, weights, true), new double[rows]);
  }

  @Override
  public String describe() {
    return "exact log-likelihood (causal)";
  }
}
