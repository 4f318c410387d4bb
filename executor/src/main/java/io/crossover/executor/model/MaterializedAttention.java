package io.crossover.executor.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Materialised attention in bf16 as one {@link Script}: scores, softmax and probabilities stay bf16
 * inside the module (libtorch's bf16 softmax accumulates in FP32), as in a bf16 flash kernel. Built
 * from DJL ops, the same pass cast the (B, H, L, L) scores to FP32 for the softmax and the weights
 * back to bf16 for the product with v, and again in backward: those casts and the softmax
 * backward's mixed-type path took 187 of 1,388 ms of a {@code small} AR bf16 step (libtorch's
 * profiler), 3% with this module.
 */
final class MaterializedAttention implements AutoCloseable {
  private final Script script;
  private final boolean causal;

  private MaterializedAttention(Script script, boolean causal) {
    this.script = script;
    this.causal = causal;
  }

  /** A module for scaled q, k and v (B, H, L, head), FP32 in and out; owned by {@code manager}. */
  static MaterializedAttention load(NDManager manager, boolean causal, double dropout) {
    String arguments = causal ? "q, k, v, mask" : "q, k, v";
    return new MaterializedAttention(
        Script.load(manager, "MaterializedAttention", arguments, body(causal, dropout)), causal);
  }

  /**
   * softmax(q k^T [+ mask]) v for q already scaled by 1/sqrt(head); {@code mask} (L, L) is the
   * additive causal mask in FP32 (cast inside), ignored when not causal.
   */
  NDArray apply(NDArray q, NDArray k, NDArray v, NDArray mask) {
    return causal ? script.apply(q, k, v, mask) : script.apply(q, k, v);
  }

  /** The module's expression, for autocast to run in bf16. */
  static String body(boolean causal, double dropout) {
    String scores = "torch.matmul(q, torch.transpose(k, -2, -1))";
    if (causal) {
      // Added in bf16: an FP32 mask would promote the scores back to FP32.
      scores = "torch.add(" + scores + ", torch.to(mask, " + Script.BFLOAT16 + "))";
    }
    String weights = "torch.softmax(" + scores + ", -1)";
    if (dropout > 0) {
      weights = "torch.dropout(" + weights + ", " + dropout + ", True)";
    }
    return "torch.to(torch.matmul(" + weights + ", v), " + Script.FLOAT32 + ")";
  }

  @Override
  public void close() {
    script.close();
  }
}
