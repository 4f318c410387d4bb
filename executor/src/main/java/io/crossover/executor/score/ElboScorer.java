package io.crossover.executor.score;

import ai.djl.ndarray.NDManager;
import io.crossover.data.plan.Noise;
import io.crossover.executor.model.Transformer;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * An unbiased Monte Carlo estimate of the conditional negative ELBO of a continuation under a
 * masked-diffusion model (an upper bound on its NLL): the context stays clean, k of its n tokens
 * are masked, and a sample scores {@code n/k * sum CE} over the masked ones.
 *
 * <p>Sample s of N takes k_s = 1 + floor(v_s n) with v_s = (s + u)/N, one uniform offset u per
 * item: each v_s is uniform on its stratum, so over u every k in 1..n has weight 1/n and the mean
 * of the N samples is unbiased, with the variance of a stratified design. The masked positions are
 * the k with the smallest of per-position uniform keys. u and the keys depend only on (item seed,
 * s), so every choice of an item uses the same random numbers, whatever its length (common random
 * numbers: the comparison between choices is less noisy than each score).
 */
public final class ElboScorer implements Likelihood {
  private final Transformer model;
  private final int maskId;
  private final int maxLength;
  private final int samples;
  private final NDManager manager;

  public ElboScorer(Transformer model, int maskId, int maxLength, int samples, NDManager manager) {
    this.model = model;
    this.maskId = maskId;
    this.maxLength = maxLength;
    this.samples = samples;
    this.manager = manager;
  }

  @Override
  public Scores score(int[] context, List<int[]> continuations, long seed) {
    double u = Noise.of(seed, -1, 0).nextDouble();
    int longest = 0;
    for (int[] c : continuations) {
      longest = Math.max(longest, c.length);
    }
    double[][] keys = new double[samples][Math.min(longest, maxLength)];
    for (int s = 0; s < samples; s++) {
      SplittableRandom random = Noise.of(seed, s, 1);
      for (int j = 0; j < keys[s].length; j++) {
        keys[s][j] = random.nextDouble();
      }
    }
    double[] nll = new double[continuations.size()];
    double[] se = new double[continuations.size()];
    for (int c = 0; c < nll.length; c++) {
      int[] sequence =
          RowLosses.truncate(RowLosses.concat(context, continuations.get(c)), maxLength);
      int n = Math.min(continuations.get(c).length, sequence.length);
      int start = sequence.length - n;
      int[][] inputs = new int[samples][];
      int[][] targets = new int[samples][];
      float[][] weights = new float[samples][sequence.length];
      for (int s = 0; s < samples; s++) {
        int k = Math.min(n, 1 + (int) Math.floor((s + u) / samples * n));
        Integer[] order = new Integer[n];
        for (int j = 0; j < n; j++) {
          order[j] = j;
        }
        double[] key = keys[s];
        Arrays.sort(order, (a, b) -> Double.compare(key[a], key[b]));
        inputs[s] = sequence.clone();
        targets[s] = sequence;
        for (int j = 0; j < k; j++) {
          int position = start + order[j];
          inputs[s][position] = maskId;
          weights[s][position] = (float) n / k;
        }
      }
      double[] values = RowLosses.of(model, manager, inputs, targets, weights, false);
      double mean = Arrays.stream(values).average().orElse(Double.NaN);
      double squares = 0;
      for (double v : values) {
        squares += (v - mean) * (v - mean);
      }
      nll[c] = mean;
      // The spread of the samples over sqrt(N): conservative for a stratified design.
      se[c] = samples > 1 ? Math.sqrt(squares / (samples - 1) / samples) : Double.NaN;
    }
    return new Scores(nll, se);
  }

  @Override
  public String describe() {
    return "conditional ELBO, an upper bound on the NLL (" + samples + " samples per choice)";
  }
}
