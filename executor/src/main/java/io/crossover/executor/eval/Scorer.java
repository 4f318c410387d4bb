package io.crossover.executor.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.MaskedDiffusion;
import io.crossover.executor.objective.Objective;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Negative log-likelihood of continuations given a context, per objective:
 *
 * <ul>
 *   <li>AR: exact, {@code -sum log p(c_i | context, c_<i)};
 *   <li>MDM: a Monte Carlo estimate of the conditional negative ELBO (an upper bound on the NLL):
 *       the context stays clean, k of the n continuation tokens are masked (k stratified over 1..n
 *       across the samples, positions uniform), and a sample scores {@code n/k * sum CE} over the
 *       masked tokens. Every choice of one item uses the same random numbers, which lowers the
 *       variance of the comparison between choices.
 * </ul>
 *
 * Sequences longer than {@code maxLength} lose tokens from the left of the context.
 */
public final class Scorer implements Likelihood {
  private final Transformer model;
  private final Objective objective;
  private final int maxLength;
  private final int samples;
  private final NDManager manager;

  public Scorer(
      Transformer model, Objective objective, int maxLength, int mdmSamples, NDManager manager) {
    this.model = model;
    this.objective = objective;
    this.maxLength = maxLength;
    this.samples = mdmSamples;
    this.manager = manager;
  }

  public Objective objective() {
    return objective;
  }

  @Override
  public double[] nll(int[] context, List<int[]> continuations, long seed) {
    return objective instanceof MaskedDiffusion mdm
        ? mdmNll(context, continuations, seed, mdm.maskId())
        : arNll(context, continuations);
  }

  private double[] arNll(int[] context, List<int[]> continuations) {
    int rows = continuations.size();
    int width = 0;
    int[][] full = new int[rows][];
    for (int r = 0; r < rows; r++) {
      full[r] = truncate(concat(context, continuations.get(r)), maxLength + 1);
      width = Math.max(width, full[r].length - 1);
    }
    int[][] inputs = new int[rows][width];
    int[][] targets = new int[rows][width];
    float[][] weights = new float[rows][width];
    for (int r = 0; r < rows; r++) {
      int n = full[r].length - 1;
      System.arraycopy(full[r], 0, inputs[r], 0, n);
      System.arraycopy(full[r], 1, targets[r], 0, n);
      // Right padding is harmless under a causal mask; only the continuation is scored.
      int scored = Math.min(continuations.get(r).length, n);
      Arrays.fill(weights[r], n - scored, n, 1f);
    }
    return rowSums(inputs, targets, weights, true);
  }

  private double[] mdmNll(int[] context, List<int[]> continuations, long seed, int maskId) {
    double[] out = new double[continuations.size()];
    for (int c = 0; c < continuations.size(); c++) {
      int[] sequence = truncate(concat(context, continuations.get(c)), maxLength);
      int n = Math.min(continuations.get(c).length, sequence.length);
      int start = sequence.length - n;
      int[][] inputs = new int[samples][];
      int[][] targets = new int[samples][];
      float[][] weights = new float[samples][sequence.length];
      for (int s = 0; s < samples; s++) {
        // Common random numbers: sample s of every choice draws from the same stream.
        SplittableRandom random = Objective.noise(seed, s, 0);
        int k = 1 + (int) ((long) s * n / samples);
        int[] order = io.crossover.data.plan.TokenPlan.permutation(n, random);
        inputs[s] = sequence.clone();
        targets[s] = sequence;
        for (int j = 0; j < k; j++) {
          int position = start + order[j];
          inputs[s][position] = maskId;
          weights[s][position] = (float) n / k / samples;
        }
      }
      out[c] = Arrays.stream(rowSums(inputs, targets, weights, false)).sum();
    }
    return out;
  }

  /** Per row: sum of weights * -log p(target). */
  private double[] rowSums(int[][] inputs, int[][] targets, float[][] weights, boolean causal) {
    try (NDManager step = manager.newSubManager()) {
      int rows = inputs.length;
      int width = inputs[0].length;
      NDArray logits = model.forward(step, step.create(inputs), causal);
      NDArray index = step.create(targets).toType(DataType.INT64, false).reshape(rows, width, 1);
      NDArray logProbs = logits.logSoftmax(-1).gather(index, 2).reshape(rows, width);
      float[] flat = new float[rows * width];
      for (int r = 0; r < rows; r++) {
        System.arraycopy(weights[r], 0, flat, r * width, width);
      }
      NDArray sums =
          logProbs.mul(step.create(flat, new Shape(rows, width))).sum(new int[] {1}).neg();
      float[] values = sums.toFloatArray();
      double[] out = new double[rows];
      for (int r = 0; r < rows; r++) {
        out[r] = values[r];
      }
      return out;
    }
  }

  static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static int[] truncate(int[] tokens, int max) {
    return tokens.length <= max
        ? tokens
        : Arrays.copyOfRange(tokens, tokens.length - max, tokens.length);
  }
}
