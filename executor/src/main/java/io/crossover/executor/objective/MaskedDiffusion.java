package io.crossover.executor.objective;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Absorbing-state masked diffusion (as in LLaDA / SMDM / MDLM), bidirectional attention, no shift.
 * Per row: t ~ U(0,1); each token is replaced by MASK with probability t; a row with no masked
 * token gets one at a uniform position. The row's loss is (1/L) * sum over masked positions of CE /
 * p with p the row's realised mask ratio (masked / L) — that is, the mean CE over its masked
 * positions. With probability {@code randomLengthProbability} a step trains on the first ℓ tokens
 * of every row, ℓ uniform in 2..L and the same on every rank.
 *
 * @param maskId the MASK token
 * @param randomLengthProbability chance per step of a random length
 */
public record MaskedDiffusion(int maskId, double randomLengthProbability) implements Objective {

  @Override
  public String name() {
    return "mdm";
  }

  @Override
  public boolean causal() {
    return false;
  }

  @Override
  public Batch prepare(int[][] tokens, SplittableRandom noise, SplittableRandom shared) {
    int full = tokens[0].length;
    int length = full;
    if (shared.nextDouble() < randomLengthProbability) {
      length = 2 + shared.nextInt(full - 1);
    }
    int rows = tokens.length;
    int[][] inputs = new int[rows][];
    int[][] targets = new int[rows][];
    float[][] weights = new float[rows][length];
    for (int r = 0; r < rows; r++) {
      targets[r] = Arrays.copyOf(tokens[r], length);
      inputs[r] = targets[r].clone();
      double t = noise.nextDouble();
      boolean[] masked = new boolean[length];
      int count = 0;
      for (int i = 0; i < length; i++) {
        if (noise.nextDouble() < t) {
          masked[i] = true;
          count++;
        }
      }
      if (count == 0) {
        masked[noise.nextInt(length)] = true;
        count = 1;
      }
      float w = 1f / ((float) rows * count);
      for (int i = 0; i < length; i++) {
        if (masked[i]) {
          inputs[r][i] = maskId;
          weights[r][i] = w;
        }
      }
    }
    return new Batch(inputs, targets, weights);
  }
}
