package io.crossover.executor.score;

import ai.djl.ndarray.NDManager;
import io.crossover.executor.model.Transformer;
import java.util.Arrays;
import java.util.List;

/**
 * A masked-diffusion model's conditionals read left to right: {@code -sum_i log p(c_i | context,
 * c_<i, MASK for c_>=i)}. This is the exact negative log-likelihood of <i>one autoregressive model
 * built from the MDM's conditionals</i> (for a given number of continuation tokens, which the masks
 * give away, their product is a distribution over continuations), not the MDM's own likelihood, and
 * it has no bound relation to the MDM's ELBO: neither is above the other in general. Choices of
 * different token lengths are scored under different such models. It has no sampling noise and
 * costs one row per continuation token, n rows in one forward pass, against N rows for the sampled
 * ELBO.
 */
public final class LeftToRightScorer implements Likelihood {
  /** How reports name what this scorer gives. */
  public static final String DESCRIPTION =
      "left-to-right likelihood of the MDM's conditionals (not the MDM's own likelihood)";

  private final Transformer model;
  private final int maskId;
  private final int maxLength;
  private final NDManager manager;

  public LeftToRightScorer(Transformer model, int maskId, int maxLength, NDManager manager) {
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

  @Override
  public String describe() {
    return DESCRIPTION;
  }
}
