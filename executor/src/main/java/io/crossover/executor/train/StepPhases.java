package io.crossover.executor.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.crossover.executor.allreduce.GradientSync;
import io.crossover.executor.model.Param;
import io.crossover.executor.model.Segments;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Batch;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.optim.Optimizer;
import java.util.List;

/**
 * The phases of one optimiser step that touch the model, which a data-parallel caller interleaves
 * with the all-reduce: {@link #accumulate} (forward and backward micro-batch by micro-batch,
 * handing finished gradients to a {@link GradientSync}), then {@link #clipAndUpdate}. The loss is
 * the objective's ({@link Objective#loss}).
 */
public final class StepPhases {
  private final Transformer model;
  private final Objective objective;
  private final Optimizer optimizer;
  private final double gradClip;
  private final int microBatch;

  /** A step that runs each rank's batch in one forward pass. */
  public StepPhases(Transformer model, Objective objective, Optimizer optimizer, double gradClip) {
    this(model, objective, optimizer, gradClip, 0);
  }

  /**
   * @param microBatch sequences per forward pass (0: the rank's whole batch at once)
   */
  public StepPhases(
      Transformer model,
      Objective objective,
      Optimizer optimizer,
      double gradClip,
      int microBatch) {
    this.model = model;
    this.objective = objective;
    this.optimizer = optimizer;
    this.gradClip = gradClip;
    this.microBatch = microBatch;
  }

  /**
   * Forward and backward of a rank's batch, {@code microBatch} sequences at a time; gradients add
   * up. The loss is read from the device once, after the last forward, and handed to {@code sync}
   * with the step; the last backward runs segment by segment when the sync wants to send finished
   * gradients early. Each micro-batch's activations are freed before the next one starts.
   */
  public void accumulate(NDManager step, Batch batch, long stepIndex, GradientSync sync) {
    List<Batch> parts = batch.split(microBatch);
    NDArray total = null;
    for (int microStep = 0; microStep < parts.size(); microStep++) {
      boolean last = microStep == parts.size() - 1;
      try (NDManager micro = step.newSubManager();
          GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        boolean early = last && sync.bySegments();
        // Recomputed activations need the cuts on every micro-batch; early sends only on the last.
        Segments cuts = early || model.numerics().recompute() ? new Segments() : null;
        NDArray loss = loss(micro, model, objective, parts.get(microStep), cuts);
        NDArray detached = loss.stopGradient();
        total = total == null ? detached : total.add(detached);
        total.attach(step);
        if (last) {
          sync.begin(stepIndex, total.getFloat());
        }
        if (cuts != null) {
          cuts.backward(loss, early ? sync::segmentDone : segment -> {});
        } else {
          collector.backward(loss);
        }
      }
    }
  }

  /** Forward and backward of one batch; returns its loss. Gradients add up across calls. */
  public float forwardBackward(NDManager step, Batch batch) {
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      if (model.numerics().recompute()) {
        Segments cuts = new Segments();
        NDArray loss = loss(step, model, objective, batch, cuts);
        float value = loss.getFloat();
        cuts.backward(loss, segment -> {});
        return value;
      }
      NDArray loss = loss(step, model, objective, batch);
      collector.backward(loss);
      return loss.getFloat();
    }
  }

  /** The forward pass of one batch under the objective's attention, then the objective's loss. */
  public static NDArray loss(NDManager step, Transformer model, Objective objective, Batch batch) {
    return loss(step, model, objective, batch, null);
  }

  /** The loss, with the forward graph cut between segments when {@code cuts} is given. */
  static NDArray loss(
      NDManager step, Transformer model, Objective objective, Batch batch, Segments cuts) {
    NDArray inputs = step.create(batch.inputs());
    if (objective.dropout() > 0) {
      // Dropout masks come from libtorch's generator: seeded per step, a resume draws them again.
      Engine.getInstance()
          .setRandomSeed((int) (batch.dropoutSeed() ^ (batch.dropoutSeed() >>> 32)));
    }
    NDArray logits =
        model.forward(
            step,
            inputs,
            new Transformer.Pass(
                objective.causal(), objective.dropout(), model.numerics().train(), cuts));
    return objective.loss(step, logits, batch);
  }

  /**
   * Clips by global norm, applies the optimiser at {@code lr}, zeroes the gradients. Returns the
   * global gradient norm before clipping.
   */
  public float clipAndUpdate(NDManager step, double lr) {
    return clipAndUpdate(step, lr, globalNorm(step));
  }

  /**
   * As {@link #clipAndUpdate(NDManager, double)}, with the global norm the ranks agreed on (see
   * {@link GradientSync.Result#gradNorm}).
   */
  public float clipAndUpdate(NDManager step, double lr, float norm) {
    if (!Float.isFinite(norm)) {
      zeroGradients();
      return norm;
    }
    float scale = gradClip > 0 && norm > gradClip ? (float) (gradClip / (norm + 1e-6)) : 1f;
    optimizer.update(lr, scale, step);
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
      NDArray g = p.gradient();
      g.attach(step);
      NDArray squares = g.square().sum();
      sum = sum == null ? squares : sum.add(squares);
    }
    return (float) Math.sqrt(sum.getFloat());
  }
}
