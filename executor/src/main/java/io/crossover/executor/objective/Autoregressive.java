package io.crossover.executor.objective;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Next-token prediction with causal attention: mean over positions of CE(logits[i], x[i+1]). */
public record Autoregressive() implements Objective {

  @Override
  public String name() {
    return "ar";
  }

  @Override
  public boolean causal() {
    return true;
  }

  @Override
  public Batch prepare(int[][] tokens, SplittableRandom noise, SplittableRandom shared) {
    int rows = tokens.length;
    int predicted = tokens[0].length - 1;
    int[][] inputs = new int[rows][];
    int[][] targets = new int[rows][];
    float[][] weights = new float[rows][predicted];
    float w = 1f / ((float) rows * predicted);
    for (int r = 0; r < rows; r++) {
      inputs[r] = Arrays.copyOf(tokens[r], predicted);
      targets[r] = Arrays.copyOfRange(tokens[r], 1, predicted + 1);
      Arrays.fill(weights[r], w);
    }
    return new Batch(inputs, targets, weights);
  }
}
