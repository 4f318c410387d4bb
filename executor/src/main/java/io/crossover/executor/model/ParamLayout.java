package io.crossover.executor.model;

import io.crossover.data.config.ModelConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * Every parameter of a {@link Transformer} shape, in the model's fixed order, computed from the
 * config alone: what the model allocates, and what the gradient buckets and the capacity planner
 * are planned from without allocating anything.
 */
public final class ParamLayout {
  private ParamLayout() {}

  /** How a parameter starts. */
  public enum Init {
    ONES,
    NORMAL,
    /** normal(0, initStd / sqrt(2 layers)): the projections that write into the residual. */
    RESIDUAL
  }

  /**
   * One parameter.
   *
   * @param segment where its gradient is finished during a segmented backward: 0 the embedding, i +
   *     1 block i, layers + 1 the final norm and the head
   */
  public record Spec(
      String name, long[] shape, boolean decay, Param.Layout layout, Init init, int segment) {
    public long size() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }
  }

  /** The parameters of a model of this shape and vocabulary, in order. */
  public static List<Spec> of(ModelConfig config, int vocabSize) {
    long d = config.dim();
    long f = config.ffnDim();
    long hd = config.headDim();
    long kv = config.kvDim();
    int top = config.layers() + 1;
    List<Spec> out = new ArrayList<>();
    out.add(spec("model.embed_tokens.weight", vocabSize, d, false, Init.NORMAL, 0, false));
    for (int i = 0; i < config.layers(); i++) {
      String p = "model.layers." + i + ".";
      int s = i + 1;
      out.add(ones(p + "input_layernorm.weight", d, s));
      out.add(spec(p + "self_attn.q_proj.weight", d, d, true, Init.NORMAL, s, true));
      out.add(spec(p + "self_attn.k_proj.weight", d, kv, true, Init.NORMAL, s, true));
      out.add(spec(p + "self_attn.v_proj.weight", d, kv, true, Init.NORMAL, s, true));
      out.add(spec(p + "self_attn.o_proj.weight", d, d, true, Init.RESIDUAL, s, true));
      out.add(ones(p + "self_attn.q_norm.weight", hd, s));
      out.add(ones(p + "self_attn.k_norm.weight", hd, s));
      out.add(ones(p + "post_attention_layernorm.weight", d, s));
      out.add(spec(p + "mlp.gate_proj.weight", d, f, true, Init.NORMAL, s, true));
      out.add(spec(p + "mlp.up_proj.weight", d, f, true, Init.NORMAL, s, true));
      out.add(spec(p + "mlp.down_proj.weight", f, d, true, Init.RESIDUAL, s, true));
    }
    out.add(ones("model.norm.weight", d, top));
    if (!config.tieEmbeddings()) {
      out.add(spec("lm_head.weight", d, vocabSize, false, Init.NORMAL, top, true));
    }
    return out;
  }

  private static Spec ones(String name, long n, int segment) {
    return new Spec(name, new long[] {n}, false, Param.Layout.AS_IS, Init.ONES, segment);
  }

  private static Spec spec(
      String name,
      long rows,
      long cols,
      boolean decay,
      Init init,
      int segment,
      boolean transposed) {
    return new Spec(
        name,
        new long[] {rows, cols},
        decay,
        transposed ? Param.Layout.TRANSPOSED : Param.Layout.AS_IS,
        init,
        segment);
  }
}
