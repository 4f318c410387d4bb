package io.crossover.executor.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import io.crossover.data.config.OptimConfig;
import io.crossover.executor.model.Param;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, its state held here (not inside DJL) so that it can be
 * checkpointed and restored exactly:
 *
 * <pre>
 *   m = b1 m + (1 - b1) g          v = b2 v + (1 - b2) g^2
 *   p = p - lr * wd * p   (decaying parameters only)
 *   p = p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * </pre>
 *
 * Every operation is element-wise, so a shard of a flattened parameter vector stepped with {@link
 * #delta} gets bitwise the values the whole vector would: the sharded optimisers rely on it.
 */
public final class AdamW implements Optimizer {
  /** The file a whole (unsharded) optimiser's state goes to. */
  public static final String FILE = "optimizer.safetensors";

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

  @Override
  public long step() {
    return step;
  }

  /** Whether AdamW decays a parameter: matrices yes; norms never; embeddings when configured. */
  public static boolean decays(OptimConfig config, Param p) {
    return p.decay() || (config.decayEmbeddings() && p.array().getShape().dimension() == 2);
  }

  /** The factor decoupled weight decay multiplies a decaying parameter by at {@code lr}. */
  public static float decayFactor(OptimConfig config, double lr) {
    return (float) (1 - lr * config.weightDecay());
  }

  @Override
  public void update(double lr, float clipScale, NDManager scratch) {
    // In-place updates of leaf tensors: never under grad mode, whichever thread steps.
    JniUtils.setGradMode(false);
    step++;
    for (int i = 0; i < params.size(); i++) {
      Param p = params.get(i);
      try (NDManager tmp = scratch.newSubManager()) {
        NDArray g = attach(tmp, p.gradient());
        if (clipScale != 1f) {
          g.muli(clipScale);
        }
        NDArray delta = delta(config, step, m[i], v[i], g, lr, tmp);
        if (decays(config, p) && config.weightDecay() > 0) {
          p.array().muli(decayFactor(config, lr));
        }
        p.array().subi(delta);
      }
    }
  }

  /**
   * Advances the moments {@code m} and {@code v} (in place) by the gradient {@code g} at optimiser
   * step {@code t} and returns what to subtract from the (decayed) parameters, in {@code tmp}.
   */
  public static NDArray delta(
      OptimConfig config, long t, NDArray m, NDArray v, NDArray g, double lr, NDManager tmp) {
    float b1 = (float) config.beta1();
    float b2 = (float) config.beta2();
    float correction1 = (float) (1 - Math.pow(config.beta1(), t));
    float correction2 = (float) (1 - Math.pow(config.beta2(), t));
    m.muli(b1).addi(attach(tmp, g.mul(1 - b1)));
    v.muli(b2).addi(attach(tmp, g.square()).muli(1 - b2));
    NDArray denominator = attach(tmp, v.div(correction2)).sqrt().addi((float) config.eps());
    return attach(tmp, m.mul((float) (lr / correction1))).divi(denominator);
  }

  @Override
  public Map<String, NDArray> state() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (int i = 0; i < params.size(); i++) {
      out.put("m." + params.get(i).name(), m[i]);
      out.put("v." + params.get(i).name(), v[i]);
    }
    return out;
  }

  @Override
  public String stateFile() {
    return FILE;
  }

  @Override
  public boolean sharded() {
    return false;
  }

  @Override
  public void restoreStep(long step) {
    this.step = step;
  }

  private static NDArray attach(NDManager tmp, NDArray a) {
    a.attach(tmp);
    return a;
  }

  @Override
  public void close() {
    manager.close();
  }
}
