package io.crossover.executor.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.crossover.executor.model.Transformer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Text generation for both objectives:
 *
 * <ul>
 *   <li>AR: one token at a time from the causal model, with temperature and nucleus (top-p)
 *       sampling, until EOD or the token limit;
 *   <li>MDM: start from all MASK after the prompt and unmask over a number of steps; each step
 *       predicts every masked position and keeps the most confident predictions (low-confidence
 *       remasking), optionally block by block from left to right.
 * </ul>
 *
 * Sampling happens on the host from a seeded generator, so a seed reproduces a sample.
 */
public final class Generator {
  private final Transformer model;
  private final NDManager manager;
  private final int maxLength;

  public Generator(Transformer model, int maxLength, NDManager manager) {
    this.model = model;
    this.maxLength = maxLength;
    this.manager = manager;
  }

  /** The model's sequence length: the longest window it sees. */
  public int maxLength() {
    return maxLength;
  }

  /** AR sampling; returns the new tokens (without the prompt, EOD excluded). */
  public int[] autoregressive(
      int[] prompt, int maxNew, double temperature, double topP, int eod, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int[] sequence = Arrays.copyOf(prompt, prompt.length + maxNew);
    int length = prompt.length;
    while (length < sequence.length) {
      int from = Math.max(0, length - maxLength);
      float[] logits = lastLogits(Arrays.copyOfRange(sequence, from, length));
      int next = sample(logits, temperature, topP, random);
      if (next == eod) {
        break;
      }
      sequence[length++] = next;
    }
    return Arrays.copyOfRange(sequence, prompt.length, length);
  }

  /**
   * MDM sampling of exactly {@code genLength} tokens after the prompt in {@code steps} denoising
   * steps, in blocks of {@code blockLength} (genLength for one block).
   */
  public int[] maskedDiffusion(
      int[] prompt,
      int genLength,
      int steps,
      int blockLength,
      double temperature,
      int maskId,
      long seed) {
    if (prompt.length + genLength > maxLength) {
      throw new IllegalArgumentException(
          "prompt + generation = "
              + (prompt.length + genLength)
              + " tokens exceeds the model's "
              + maxLength);
    }
    SplittableRandom random = new SplittableRandom(seed);
    int[] x = Arrays.copyOf(prompt, prompt.length + genLength);
    Arrays.fill(x, prompt.length, x.length, maskId);
    int blocks = (genLength + blockLength - 1) / blockLength;
    int stepsPerBlock = Math.max(1, steps / blocks);
    for (int b = 0; b < blocks; b++) {
      int start = prompt.length + b * blockLength;
      int end = Math.min(x.length, start + blockLength);
      for (int s = 0; s < stepsPerBlock; s++) {
        int masked = 0;
        for (int i = start; i < end; i++) {
          masked += x[i] == maskId ? 1 : 0;
        }
        if (masked == 0) {
          break;
        }
        // Unmask evenly: what is left over the steps that are left.
        int unmask = (int) Math.ceil((double) masked / (stepsPerBlock - s));
        float[][] logits = allLogits(x);
        int[] candidate = new int[x.length];
        double[] confidence = new double[x.length];
        Arrays.fill(confidence, Double.NEGATIVE_INFINITY);
        for (int i = start; i < end; i++) {
          if (x[i] == maskId) {
            logits[i][maskId] = Float.NEGATIVE_INFINITY; // never "predict" MASK itself
            candidate[i] = sample(logits[i], temperature, 1.0, random);
            confidence[i] = probability(logits[i], candidate[i]);
          }
        }
        for (int k = 0; k < unmask; k++) {
          int best = -1;
          for (int i = start; i < end; i++) {
            if (x[i] == maskId && (best < 0 || confidence[i] > confidence[best])) {
              best = i;
            }
          }
          x[best] = candidate[best];
          confidence[best] = Double.NEGATIVE_INFINITY;
        }
      }
    }
    return Arrays.copyOfRange(x, prompt.length, x.length);
  }

  private float[] lastLogits(int[] tokens) {
    try (NDManager step = manager.newSubManager()) {
      NDArray logits = model.forward(step, step.create(new int[][] {tokens}), true);
      return logits.get(new NDIndex("0, -1, :")).toFloatArray();
    }
  }

  private float[][] allLogits(int[] tokens) {
    try (NDManager step = manager.newSubManager()) {
      NDArray logits = model.forward(step, step.create(new int[][] {tokens}), false);
      float[] flat = logits.toFloatArray();
      int vocab = model.vocabSize();
      float[][] out = new float[tokens.length][];
      for (int i = 0; i < tokens.length; i++) {
        out[i] = Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
      }
      return out;
    }
  }

  /** Greedy when temperature is 0; otherwise softmax(logits / T) restricted to the top-p mass. */
  static int sample(float[] logits, double temperature, double topP, SplittableRandom random) {
    if (temperature <= 0) {
      int best = 0;
      for (int i = 1; i < logits.length; i++) {
        if (logits[i] > logits[best]) {
          best = i;
        }
      }
      return best;
    }
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double[] p = new double[logits.length];
    double z = 0;
    for (int i = 0; i < logits.length; i++) {
      p[i] = Math.exp((logits[i] - max) / temperature);
      z += p[i];
    }
    Integer[] order = new Integer[p.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
      p[i] /= z;
    }
    Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
    double kept = 0;
    int cut = 0;
    while (cut < order.length && (cut == 0 || kept < topP)) {
      kept += p[order[cut++]];
    }
    double u = random.nextDouble() * kept;
    for (int i = 0; i < cut; i++) {
      u -= p[order[i]];
      if (u <= 0) {
        return order[i];
      }
    }
    return order[cut - 1];
  }

  private static double probability(float[] logits, int token) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double z = 0;
    for (float l : logits) {
      z += Math.exp(l - max);
    }
    return Math.exp(logits[token] - max) / z;
  }
}
