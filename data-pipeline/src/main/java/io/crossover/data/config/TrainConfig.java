package io.crossover.data.config;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;

/**
 * How the training loop runs and reports.
 *
 * @param logEvery steps between metric lines (and progress updates)
 * @param threads intra-op threads of libtorch per rank (small models are faster on one)
 * @param maxNonfiniteSteps consecutive steps with a non-finite loss or gradient that are skipped
 *     before the run stops
 * @param checkpointEvery steps between checkpoints (0: only at the end and when stopping)
 * @param stopAfterSteps stop (with a checkpoint) after this many steps in this session; 0: run to
 *     the end. For time-boxed jobs that resume later.
 * @param device {@code auto} (the task's GPU from Spark, else GPU 0 if any, else CPU), {@code cpu},
 *     {@code gpu} or {@code gpu:N}
 * @param precision of the training forward pass: {@code bf16} (autocast: matrix products and
 *     attention in bf16, its softmax accumulating in FP32; weights, gradients, optimiser state, the
 *     residual stream, norms and the loss in FP32), {@code fp32}, or {@code auto} (bf16 where the
 *     hardware computes it natively: CPUs with avx512_bf16 or AMX, GPUs of compute capability 8.0
 *     or later)
 * @param attention {@code fused} (libtorch's scaled-dot-product attention: no (L, L) score tensor),
 *     {@code materialized} (scores, mask and softmax as separate tensors; the reference), or {@code
 *     auto}: per pass, the kernel measured faster for its device, precision and length
 * @param recompute {@code blocks}: keep only each block's input in forward and run the block again
 *     in backward (activation recomputation): the gradients are bitwise those of {@code none}
 * @param microBatch sequences per forward pass on a rank; gradients accumulate over the rank's
 *     share of the global batch divided by this (0: the whole share in one pass)
 * @param tf32 on NVIDIA GPUs, FP32 matrix products on TF32 tensor cores
 */
public record TrainConfig(
    int logEvery,
    int threads,
    int maxNonfiniteSteps,
    long checkpointEvery,
    long stopAfterSteps,
    String device,
    PrecisionSetting precision,
    Attention attention,
    int microBatch,
    boolean tf32,
    Recompute recompute)
    implements Serializable {

  /** What a training forward pass keeps for backward. */
  public enum Recompute {
    /** Every activation, as autograd records it. */
    NONE,
    /** Only each block's input; the block's forward runs again during its backward. */
    BLOCKS
  }

  /** A precision as configured; {@code AUTO} is resolved on each rank for its hardware. */
  public enum PrecisionSetting {
    AUTO,
    FP32,
    BF16
  }

  /** How attention is computed; {@code AUTO} is resolved for each forward pass. */
  public enum Attention {
    AUTO,
    FUSED,
    MATERIALIZED;

    /** The name the config writes: {@code auto}, {@code fused}, {@code materialized}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The kernels themselves, without {@code AUTO}. */
    public static List<Attention> kernels() {
      return List.of(FUSED, MATERIALIZED);
    }
  }

  /** Sequences per forward pass for a rank that holds {@code perRank} sequences per step. */
  public int microBatchOf(int perRank) {
    return microBatch == 0 ? perRank : microBatch;
  }

  /**
   * What is wrong with a micro-batch of {@code micro} sequences for a batch of {@code perRank} per
   * rank, or null when it divides it (0: the whole batch). The one rule for train.micro-batch and
   * {@code bench step --micro-batch}.
   */
  public static String microBatchProblem(int micro, int perRank) {
    if (micro < 0) {
      return "value " + micro + " is negative; use a divisor of the batch, or 0 for all of it";
    }
    if (micro > 0 && perRank > 0 && (micro > perRank || perRank % micro != 0)) {
      return "value "
          + micro
          + " does not divide the "
          + perRank
          + " sequences a rank gets per step";
    }
    return null;
  }

  static TrainConfig from(Keys k) {
    return new TrainConfig(
        k.integer("train.log-every", 1, 1_000_000),
        k.integer("train.threads", 1, 1024),
        k.integer("train.max-nonfinite-steps", 0, 1_000_000),
        k.count("train.checkpoint-every", 0, Long.MAX_VALUE / 4),
        k.count("train.stop-after-steps", 0, Long.MAX_VALUE / 4),
        device(k.string("train.device")),
        k.choice("train.precision", PrecisionSetting.class),
        k.choice("train.attention", Attention.class),
        k.integer("train.micro-batch", 0, 1 << 20),
        k.bool("train.tf32"),
        k.choice("train.recompute", Recompute.class));
  }

  private static String device(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (!v.matches("auto|cpu|gpu|gpu:\\d+")) {
      throw new ConfigException(
          "train.device", "\"" + value + "\" is not allowed; use auto, cpu, gpu or gpu:N");
    }
    return v;
  }
}
