package io.crossover.executor.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.crossover.executor.precision.Precision;
import java.util.Locale;

/**
 * libtorch's {@code scaled_dot_product_attention} (a flash-attention kernel on CPU and on CUDA: no
 * (B, H, L, L) score tensor, causal blocks skipped), which DJL 0.33 exposes no op for, as a {@link
 * Script}. In bf16 the module casts q, k and v itself and casts the result back to FP32. The
 * dropout probability is part of the module (one module per setting); its masks come from
 * libtorch's generator, which the trainer seeds.
 */
final class FusedAttention implements AutoCloseable {
  private final Script script;

  private FusedAttention(Script script) {
    this.script = script;
  }

  /** A module computing attention over (B, H, L, head) tensors; owned by {@code manager}. */
  static FusedAttention load(
      NDManager manager, boolean causal, double dropout, Precision precision) {
    return new FusedAttention(
        Script.load(manager, "Attention", "q, k, v", body(causal, dropout, precision)));
  }

  /** softmax(q k^T / sqrt(head) [+ causal mask]) v, with dropout on the weights when training. */
  NDArray apply(NDArray q, NDArray k, NDArray v) {
    return script.apply(q, k, v);
  }

  /** The module's expression. */
  static String body(boolean causal, double dropout, Precision precision) {
    boolean bf16 = precision == Precision.BF16;
    String q = bf16 ? "torch.to(q, " + Script.BFLOAT16 + ")" : "q";
    String k = bf16 ? "torch.to(k, " + Script.BFLOAT16 + ")" : "k";
    String v = bf16 ? "torch.to(v, " + Script.BFLOAT16 + ")" : "v";
    String call =
        String.format(
            Locale.ROOT,
            "torch.scaled_dot_product_attention(%s, %s, %s, None, %s, %s)",
            q,
            k,
            v,
            Double.toString(dropout),
            causal ? "True" : "False");
    return bf16 ? "torch.to(" + call + ", " + Script.FLOAT32 + ")" : call;
  }

  @Override
  public void close() {
    script.close();
  }
}
