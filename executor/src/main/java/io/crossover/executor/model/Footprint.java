package io.crossover.executor.model;

import io.crossover.data.config.ModelConfig;
import io.crossover.data.config.OptimConfig;
import io.crossover.data.config.TrainConfig;
import io.crossover.executor.precision.Precision;
import java.util.HashMap;
import java.util.Map;

/**
 * The memory of one rank training a shape, part by part, from the shape alone (bytes). Weights,
 * gradients and AdamW's two moments are FP32 whatever the precision; bf16 adds the weights' bf16
 * copies. Activations are what backward needs of one micro-batch: per token and layer 22 d + 4 f
 * FP32 values counted from the model's ops (norms, projections, rotary, attention in and out,
 * SwiGLU) times 1.36, the allocator's overhead measured at {@code small}, L = 2048; bf16 saves
 * nothing there, since each product's FP32 result is kept next to its bf16 operands. Materialised
 * attention adds per sequence, head and layer L x L values at 12 bytes in FP32 (the softmax, the
 * gradients in backward) plus 8 for the layer in flight, or in bf16 2 bytes (the softmax's bf16
 * output, all the module keeps) plus 4 in flight (measured at {@code small}, L = 2048, batch 2: 525
 * MiB over fused, 512 planned); fused attention keeps one log-sum-exp per query. Logits: three
 * (tokens, V) FP32 tensors. A model fitted to and checked against measured peaks (README); not a
 * guarantee.
 *
 * <p>A sharded optimiser ({@code optim.shard}) holds the two moments of 1/W of the parameters. With
 * {@code none} and {@code optimizer} the device keeps every parameter's gradient from step to step.
 * With {@code gradients} (ZeRO-2) a parameter's gradient is freed on the device as soon as its last
 * bucket is copied out during the last micro-step's backward; where a step is one forward pass, the
 * device then holds at most the gradients of the segment backward is in, the bucket being filled, a
 * parameter split across buckets and, with tied embeddings, the embedding's (finished last); and
 * its host buffers are its shard of the reduced gradients and two buckets in flight, where {@code
 * none} and {@code optimizer} keep a host copy of every bucket.
 *
 * @param hostBuffers host memory of the gradient buckets and the shard of reduced gradients (ranks
 *     > 1)
 */
public record Footprint(
    long parameters,
    long gradients,
    long optimizer,
    long weightCasts,
    long activations,
    long attentionScores,
    long logits,
    long hostBuffers) {

  /** Accelerator (or, on a CPU, process) memory of one rank at its peak, in backward. */
  public long device() {
    return parameters
        + gradients
        + optimizer
        + weightCasts
        + activations
        + attentionScores
        + logits;
  }

  /** What one training step adds at its peak to a process that holds the model and optimiser. */
  public long step() {
    return weightCasts + activations + attentionScores + logits;
  }

  /**
   * How a rank trains, as far as its memory goes.
   *
   * @param seqLen tokens per sequence
   * @param microBatch sequences per forward pass
   * @param precision the training precision
   * @param attention the attention kernel
   * @param worldSize ranks (host bucket buffers exist only for more than one)
   * @param recompute {@code train.recompute=blocks}: backward keeps each block's input (d FP32
   *     values per token and layer) and, at its peak, two blocks' worth of activations and scores:
   *     those of the block it is running again and their gradients (measured at {@code small}, L =
   *     2048, batch 4: 1.28 GiB less peak resident memory than without, against 1.35 GiB predicted)
   * @param shard how the optimiser is sharded over the ranks (null: {@code none}); ZeRO-2 frees the
   *     device's gradients only in the last forward pass of a step: until then they add up there,
   *     all of them
   * @param bucketBytes gradient bucket size
   * @param microSteps forward passes per step
   */
  public record Setting(
      int seqLen,
      int microBatch,
      Precision precision,
      TrainConfig.Attention attention,
      int worldSize,
      boolean recompute,
      OptimConfig.Shard shard,
      long bucketBytes,
      int microSteps) {
    /** Without recomputation, an unsharded optimiser, one forward pass per step. */
    public static Setting of(
        int seqLen,
        int microBatch,
        Precision precision,
        TrainConfig.Attention attention,
        int worldSize) {
      return new Setting(seqLen, microBatch, precision, attention, worldSize, false, null, 0, 1);
    }
  }

  /**
   * The memory of a rank of a model of {@code m} and {@code vocab} tokens, trained as {@code s}.
   */
  public static Footprint of(ModelConfig m, int vocab, Setting s) {
    int seqLen = s.seqLen();
    int microBatch = s.microBatch();
    Precision precision = s.precision();
    TrainConfig.Attention attention = s.attention();
    if (attention == TrainConfig.Attention.AUTO) {
      throw new IllegalArgumentException("resolve auto attention first (Numerics.kernel)");
    }
    int worldSize = s.worldSize();
    boolean recompute = s.recompute();
    OptimConfig.Shard shard = s.shard();
    long bucketBytes = s.bucketBytes();
    int microSteps = s.microSteps();
    long p = ModelSize.parameters(m, vocab);
    boolean bf16 = precision == Precision.BF16;
    double tokens = (double) microBatch * seqLen;
    double d = m.dim();
    double f = m.ffnDim();
    double perTokenLayer = 1.36 * 4 * (22 * d + 4 * f);
    int kept = recompute ? Math.min(2, m.layers()) : m.layers();
    long activations =
        (long) (tokens * kept * perTokenLayer + (recompute ? tokens * m.layers() * d * 4 : 0));
    double scoresPerLayer = (double) microBatch * m.heads() * seqLen * (double) seqLen;
    long scores =
        attention == TrainConfig.Attention.MATERIALIZED
            ? (long) (scoresPerLayer * (bf16 ? 2 * kept + 4 : 12 * kept + 8))
            : (long) (tokens * m.heads() * 4 * kept);
    long logits = (long) (tokens * vocab * 4 * 3);
    boolean sharded = shard != null && shard.sharded() && worldSize > 1;
    long shardOf = (p + worldSize - 1) / worldSize;
    long host;
    if (worldSize == 1) {
      host = 0;
    } else if (!sharded) {
      host = 4 * p + 8;
    } else if (shard == OptimConfig.Shard.OPTIMIZER) {
      host = 4 * p + 8 + 4 * shardOf;
    } else {
      host = 4 * shardOf + 2 * Math.min(bucketBytes, 4 * p + 8);
    }
    long gradients =
        sharded && shard == OptimConfig.Shard.GRADIENTS && microSteps == 1
            ? Math.min(4 * p, heldGradients(m, vocab, bucketBytes))
            : 4 * p;
    return new Footprint(
        4 * p,
        gradients,
        sharded ? 8 * shardOf : 8 * p,
        bf16 ? 2 * p : 0,
        activations,
        scores,
        logits,
        host);
  }

  /** ZeRO-2's bound on the gradients the device holds at once during backward (bytes). */
  private static long heldGradients(ModelConfig m, int vocab, long bucketBytes) {
    Map<Integer, Long> segments = new HashMap<>();
    long largest = 0;
    for (ParamLayout.Spec spec : ParamLayout.of(m, vocab)) {
      segments.merge(spec.segment(), spec.size(), Long::sum);
      largest = Math.max(largest, spec.size());
    }
    long segment = segments.values().stream().mapToLong(Long::longValue).max().orElse(0);
    long tied = m.tieEmbeddings() ? (long) vocab * m.dim() : 0;
    return bucketBytes + 4 * (segment + largest + tied);
  }
}
