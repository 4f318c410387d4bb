package io.crossover.executor.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** The weighted cross-entropy both objectives' losses reduce to, on the device. */
final class CrossEntropy {
  private CrossEntropy() {}

  /** sum(weights * -log softmax(logits)[targets]) over the batch's positions. */
  static NDArray weighted(NDManager manager, NDArray logits, Batch batch) {
    NDArray targets = manager.create(batch.targets());
    long rows = targets.getShape().get(0);
    long cols = targets.getShape().get(1);
    NDArray logProbs =
        logits
            .logSoftmax(-1)
            .gather(targets.toType(DataType.INT64, false).reshape(rows, cols, 1), 2);
    NDArray weights = manager.create(flatten(batch.weights()), new Shape(rows, cols, 1));
    return logProbs.mul(weights).sum().neg();
  }

  private static float[] flatten(float[][] rows) {
    float[] out = new float[rows.length * rows[0].length];
    for (int r = 0; r < rows.length; r++) {
      System.arraycopy(rows[r], 0, out, r * rows[r].length, rows[r].length);
    }
    return out;
  }
}
