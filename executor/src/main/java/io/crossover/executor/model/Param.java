package io.crossover.executor.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * One trainable tensor.
 *
 * @param name Llama-style name (what export writes), e.g. {@code
 *     model.layers.0.self_attn.q_proj.weight}
 * @param array the values; projections are stored as (in, out) so the forward pass is {@code x W}
 * @param decay whether AdamW applies weight decay to it
 * @param stored how {@code array} relates to the exported tensor
 */
public record Param(String name, NDArray array, boolean decay, Layout stored) {

  /** Layout of a parameter relative to the PyTorch/Llama convention. */
  public enum Layout {
    /** Same as exported (norm weights, embeddings). */
    AS_IS,
    /** Stored as (in, out); exported transposed, as a torch Linear weight (out, in). */
    TRANSPOSED
  }

  /** Number of scalars. */
  public long size() {
    return array.getShape().size();
  }

  /**
   * The gradient backward left on the device. DJL would hand back zeros for one that is not there;
   * that is refused here, naming the parameter, since an optimiser would step on them silently.
   */
  public NDArray gradient() {
    PtNDArray g = JniUtils.getGradient((PtNDArray) array);
    if (g == null) {
      throw new IllegalStateException(
          name
              + " has no gradient on the device: no backward since it was freed"
              + " (optim.shard=gradients frees it during backward; only the sharded optimiser"
              + " steps after that)");
    }
    return g;
  }

  /**
   * Frees this parameter's gradient (PyTorch's {@code grad = None}), which the engine offers no
   * call for: {@link #array} takes over a new handle on the same values that requires a gradient
   * and has none, and the old tensor, which holds the gradient, goes once no graph refers to it
   * ({@link Segments} closes each segment's graph after its backward). The next backward allocates
   * a fresh gradient.
   */
  public void dropGradient() {
    PtNDArray fresh = JniUtils.detachGradient((PtNDArray) array);
    JniUtils.attachGradient(fresh, true);
    array.intern(fresh);
  }
}
