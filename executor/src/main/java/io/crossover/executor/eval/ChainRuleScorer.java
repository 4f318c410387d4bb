package io.crossover.executor.eval;

import ai.djl.ndarray.NDManager;
import io.crossover.executor.model.Transformer;
import java.util.Arrays;
import java.util.List;

/**
 * The exact NLL of a continuation under a masked-diffusion model by the chain rule, left to right:
 * {@code -sum_i log p(c_i | context, c_<i, MASK for c_>=i)}. A proper likelihood (the product of
 * conditionals is a distribution over continuations), with no sampling noise; it costs one row per
 * continuation token, n rows in one forward pass, against N rows for the sampled ELBO.
 */
public final class ChainRuleScorer implements Likelihood {
  private final Transformer model;
  private final int maskId;
  private final int maxLength;
  private final NDManager manager;

  public ChainRuleScorer(Transformer model, int maskId, int maxLength, NDManager manager) {
    this.model = model;
    this.maskId = maskId;
    this.maxLength = maxLength;
    this.manager = manager;
  }

  @Override
  public Scores score(int[] context, List<int[]> continuations, long seed) {
    double[] out = new double[continuations.size()];
    for (int c = 0; c < out.length; c++) {
      int[] sequence =
          RowLosses.truncate(RowLosses.concat(context, continuations.get(c)), maxLength);
      int n = Math.min(continuations.get(c).length, sequence.length);
      int start = sequence.length - n;
      int[][] inputs = new int[n][];
      int[][] targets = new int[n][];
      float[][] weights = new float[n][sequence.length];
      for (int i = 0; i < n; i++) {
        inputs[i] = sequence.clone();
        Arrays.fill(inputs[i], start + i, sequence.length, maskId);
        targets[i] = sequence;
        weights[i][start + i] = 1f;
      }
      out[c] = Arrays.stream(RowLosses.of(model, manager, inputs, targets, weights, false)).sum();
    }
    return new Scores(out, new double[out.length]);
  }
}
