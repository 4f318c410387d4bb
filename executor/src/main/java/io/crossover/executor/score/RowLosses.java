package io.crossover.executor.score;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.crossover.executor.model.Transformer;
import java.util.Arrays;

/** One forward pass scored row by row: sum of weights * -log p(target) per row. */
public final class RowLosses {
  private RowLosses() {}

  public static double[] of(
      Transformer model,
      NDManager manager,
      int[][] inputs,
      int[][] targets,
      float[][] weights,
      boolean causal) {
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
      float[] values =
          logProbs
              .mul(step.create(flat, new Shape(rows, width)))
              .sum(new int[] {1})
              .neg()
              .toFloatArray();
      double[] out = new double[rows];
      for (int r = 0; r < rows; r++) {
        out[r] = values[r];
      }
      return out;
    }
  }

  public static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** The last {@code max} tokens: a long context loses tokens from its left. */
  static int[] truncate(int[] tokens, int max) {
    return tokens.length <= max
        ? tokens
        : Arrays.copyOfRange(tokens, tokens.length - max, tokens.length);
  }
}
