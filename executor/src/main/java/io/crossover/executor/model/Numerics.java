package io.crossover.executor.model;

import ai.djl.Device;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.TrainConfig;
import io.crossover.executor.precision.Precision;

/**
 * How a model computes, as opposed to what it is: the attention setting (a kernel, or {@code auto}
 * resolved per pass by {@link #kernel}), the precision of its training and evaluation forward
 * passes (resolved for the device, never {@code auto}), and whether a training forward pass cut
 * into segments keeps only each block's input (recompute).
 */
public record Numerics(
    TrainConfig.Attention attention, Precision train, Precision eval, boolean recompute) {
  /** Without recomputation. */
  public Numerics(TrainConfig.Attention attention, Precision train, Precision eval) {
    this(attention, train, eval, false);
  }

  /** Fused attention, FP32 everywhere. */
  public static final Numerics DEFAULT =
      new Numerics(TrainConfig.Attention.FUSED, Precision.FP32, Precision.FP32);

  /**
   * The longest sequences for which {@code auto} attention is materialised in bf16 on a CPU, causal
   * (AR) and full (MDM). There libtorch's bf16 flash kernel is slower than its FP32 one, which the
   * materialised bf16 pass beats up to these lengths ({@code bench step}, {@code small}, 4,096
   * tokens a step, one thread, AMD EPYC with avx512_bf16; materialised over fused tokens/s, AR:
   * 1.10-1.14 at L = 256, 1.18 at 512, 1.02 at 1,024, 0.80 at 2,048; MDM: 1.10-1.15, 1.17, 1.17,
   * 1.19). Causal flash attention skips the masked blocks, so AR turns sooner; longer sequences
   * were not measured, and the (L, L) scores' memory grows as L squared. In FP32 the fused kernel
   * is as fast or faster at every length measured (AR 0.96-0.98 at 256, MDM 0.95-1.05; both
   * 0.85-0.89 at 512, 0.49-0.73 at 2,048), and it is fused on GPUs.
   */
  public static final int MATERIALIZED_MAX_CAUSAL = 1024;

  /** As {@link #MATERIALIZED_MAX_CAUSAL}, for full (MDM) attention. */
  public static final int MATERIALIZED_MAX_FULL = 2048;

  /**
   * The kernel that attention {@code setting} means for a forward pass in {@code precision} over
   * sequences of {@code length} tokens, {@code causal} or full, on a GPU or a CPU. {@code auto} is
   * the kernel measured faster: materialised in bf16 on a CPU up to {@link
   * #MATERIALIZED_MAX_CAUSAL} or {@link #MATERIALIZED_MAX_FULL} tokens, fused otherwise. A rule,
   * not a timing at start-up: a resumed run computes as the run it continues.
   */
  public static TrainConfig.Attention kernel(
      TrainConfig.Attention setting, boolean gpu, Precision precision, int length, boolean causal) {
    if (setting != TrainConfig.Attention.AUTO) {
      return setting;
    }
    int most = causal ? MATERIALIZED_MAX_CAUSAL : MATERIALIZED_MAX_FULL;
    return !gpu && precision == Precision.BF16 && length <= most
        ? TrainConfig.Attention.MATERIALIZED
        : TrainConfig.Attention.FUSED;
  }

  /** The kernel of a pass of this model in {@code precision} over {@code length} tokens. */
  public TrainConfig.Attention kernel(
      boolean gpu, Precision precision, int length, boolean causal) {
    return kernel(attention, gpu, precision, length, causal);
  }

  /** The settings of {@code config} on {@code device}. */
  public static Numerics of(CrossoverConfig config, Device device) {
    return new Numerics(
        config.train().attention(),
        Precision.resolve(config.train().precision(), device).precision(),
        Precision.resolve(config.eval().precision(), device).precision(),
        config.train().recompute() == TrainConfig.Recompute.BLOCKS);
  }
}
