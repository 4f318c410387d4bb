package io.crossover.executor.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.crossover.data.config.OptimConfig;
import io.crossover.executor.model.Param;
import java.util.List;

/**
 * AdamW with decoupled weight decay, its state held here (not inside DJL) so that it can be
 * checkpointed and restored exactly:
 *
 * <pre>
 *   m = b1 m + (1 - b1) g          v = b2 v + (1 - b2) g^2
 *   p = p - lr * wd * p   (decaying parameters only)
 *   p = p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * </pre>
 */
public final class AdamW implements AutoCloseable {
  private final OptimConfig config;
  private final List<Param> params;
  private final NDManager manager;
  private final NDArray[] m;
  private final NDArray[] v;
  private long step;

  public AdamW(OptimConfig config, List<Param> params, NDManager parent) {
    this.config = config;
    this.params = params;
    this.manager = parent.newSubManager();
    m = new NDArray[params.size()];
    v = new NDArray[params.size()];
    for (int i = 0; i < params.size(); i++) {
      m[i] = manager.zeros(params.get(i).array().getShape());
      v[i] = manager.zeros(params.get(i).array().getShape());
    }
  }

  /** Optimiser steps taken (t in the bias corrections). */
  public long step() {
    return step;
  }

  /** Whether AdamW decays a parameter: matrices yes; norms never; embeddings when configured. */
  public boolean decays(Param p) {
    return p.decay() || (config.decayEmbeddings() && p.array().getShape().dimension() == 2);
  }

  /**
   * Applies one update from the parameters' gradients (already averaged and clipped). Temporaries
   * live in {@code scratch}, which the caller closes.
   */
  public void update(double lr, NDManager scratch) {
    // In-place updates of leaf tensors: never under grad mode, whichever thread steps.
    ai.djl.pytorch.jni.JniUtils.setGradMode(false);
    step++;
    float b1 = (float) config.beta1();
    float b2 = (float) config.beta2();
    float correction1 = (float) (1 - Math.pow(config.beta1(), step));
    float correction2 = (float) (1 - Math.pow(config.beta2(), step));
    for (int i = 0; i < params.size(); i++) {
      Param p = params.get(i);
      NDArray g = scratch(scratch, p.array().getGradient());
      m[i].muli(b1).addi(g.mul(1 - b1));
      v[i].muli(b2).addi(g.square().muli(1 - b2));
      if (decays(p) && config.weightDecay() > 0) {
        p.array().muli((float) (1 - lr * config.weightDecay()));
      }
      NDArray denominator =
          scratch(scratch, v[i].div(correction2)).sqrt().addi((float) config.eps());
      NDArray update = scratch(scratch, m[i].mul((float) (lr / correction1))).divi(denominator);
      p.array().subi(update);
    }
  }

  /** First and second moments, in parameter order (for checkpoints). */
  public NDArray[] firstMoments() {
    return m;
  }

  public NDArray[] secondMoments() {
    return v;
  }

  /** Restores the step count (with the moments copied into {@link #firstMoments()} etc.). */
  public void restoreStep(long step) {
    this.step = step;
  }

  private static NDArray scratch(NDManager scratch, NDArray a) {
    a.attach(scratch);
    return a;
  }

  @Override
  public void close() {
    manager.close();
  }
}
