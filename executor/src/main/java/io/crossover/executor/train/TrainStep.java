package io.crossover.executor.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.crossover.executor.model.Param;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Batch;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.optim.AdamW;

/**
 * One optimiser step, in phases a data-parallel caller can interleave with an all-reduce: {@link
 * #forwardBackward} (per micro-batch; gradients accumulate), then optionally {@link #gradients()} /
 * {@link #setGradients(float[])}, then {@link #clipAndUpdate}.
 */
public final class TrainStep {
  private final Transformer model;
  private final Objective objective;
  private final AdamW optimizer;
  private final double gradClip;

  public TrainStep(Transformer model, Objective objective, AdamW optimizer, double gradClip) {
    this.model = model;
    this.objective = objective;
    this.optimizer = optimizer;
    this.gradClip = gradClip;
  }

  public Objective objective() {
    return objective;
  }

  public AdamW optimizer() {
    return optimizer;
  }

  /** Forward and backward of one batch; returns its loss. Gradients add up across calls. */
  public float forwardBackward(NDManager step, Batch batch) {
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray loss = loss(step, model, objective, batch);
      collector.backward(loss);
      return loss.getFloat();
    }
  }

  /** sum(weights * -log softmax(logits)[targets]): the loss of any objective's batch. */
  public static NDArray loss(NDManager step, Transformer model, Objective objective, Batch batch) {
    NDArray inputs = step.create(batch.inputs());
    if (objective.dropout() > 0) {
      // Dropout masks come from libtorch's generator: seeded per step, a resume draws them again.
      Engine.getInstance()
          .setRandomSeed((int) (batch.dropoutSeed() ^ (batch.dropoutSeed() >>> 32)));
    }
    NDArray logits = model.forward(step, inputs, objective.causal(), objective.dropout());
    NDArray targets = step.create(batch.targets());
    long rows = targets.getShape().get(0);
    long cols = targets.getShape().get(1);
    NDArray logProbs =
        logits
            .logSoftmax(-1)
            .gather(
                targets.toType(ai.djl.ndarray.types.DataType.INT64, false).reshape(rows, cols, 1),
                2);
    NDArray weights = step.create(flatten(batch.weights()), new Shape(rows, cols, 1));
    return logProbs.mul(weights).sum().neg();
  }

  private static float[] flatten(float[][] rows) {
    float[] out = new float[rows.length * rows[0].length];
    for (int r = 0; r < rows.length; r++) {
      System.arraycopy(rows[r], 0, out, r * rows[r].length, rows[r].length);
    }
    return out;
  }

  /** All gradients as one flat buffer, in {@link Transformer#params()} order. */
  public float[] gradients() {
    return gradients(0);
  }

  /**
   * All gradients as one flat buffer followed by {@code spare} zeros, so that a caller can send
   * extra values in the same reduction without copying the buffer again.
   */
  public float[] gradients(int spare) {
    // One flat copy made by libtorch, owned by a scratch manager until it is on the heap.
    try (NDManager scratch = model.params().get(0).array().getManager().newSubManager()) {
      ai.djl.ndarray.NDList parts = new ai.djl.ndarray.NDList();
      for (Param p : model.params()) {
        NDArray g = p.array().getGradient();
        g.attach(scratch);
        parts.add(g.reshape(-1));
      }
      if (spare > 0) {
        parts.add(scratch.zeros(new ai.djl.ndarray.types.Shape(spare)));
      }
      NDArray flat = ai.djl.ndarray.NDArrays.concat(parts);
      flat.attach(scratch);
      return flat.toFloatArray();
    }
  }

  /**
   * Replaces the gradients with a flat buffer (e.g. the all-reduced average); elements past the
   * parameters' total size are ignored.
   */
  public void setGradients(float[] flat) {
    try (NDManager scratch = model.params().get(0).array().getManager().newSubManager()) {
      NDArray all = scratch.create(flat);
      long at = 0;
      for (Param p : model.params()) {
        long n = p.size();
        NDArray g = p.array().getGradient();
        g.attach(scratch);
        NDArray piece =
            all.get(new ai.djl.ndarray.index.NDIndex("{}:{}", at, at + n)).reshape(g.getShape());
        // In place, by libtorch: the parameter's .grad tensor keeps its identity.
        g.muli(0).addi(piece);
        at += n;
      }
    }
  }

  /**
   * Clips by global norm, applies AdamW at {@code lr}, zeroes the gradients. Returns the global
   * gradient norm before clipping.
   */
  public float clipAndUpdate(NDManager step, double lr) {
    float norm = globalNorm(step);
    if (gradClip > 0 && norm > gradClip) {
      float scale = (float) (gradClip / (norm + 1e-6));
      for (Param p : model.params()) {
        try (NDArray g = p.array().getGradient()) {
          g.muli(scale);
        }
      }
    }
    if (!Float.isFinite(norm)) {
      zeroGradients();
      return norm;
    }
    optimizer.update(lr, step);
    zeroGradients();
    return norm;
  }

  /** Drops the accumulated gradients (after an update, or when a step is skipped). */
  public void zeroGradients() {
    for (Param p : model.params()) {
      JniUtils.zeroGrad((PtNDArray) p.array());
    }
  }

  /** sqrt of the sum of squared gradients over every parameter. */
  public float globalNorm(NDManager step) {
    NDArray sum = null;
    for (Param p : model.params()) {
      NDArray g = p.array().getGradient();
      g.attach(step);
      NDArray squares = g.square().sum();
      sum = sum == null ? squares : sum.add(squares);
    }
    return (float) Math.sqrt(sum.getFloat());
  }
}
