package io.crossover.driver.capacity;

import io.crossover.data.UserException;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.ModelConfig;
import io.crossover.data.config.OptimConfig;
import io.crossover.data.config.TrainConfig;
import io.crossover.executor.allreduce.BucketPlan;
import io.crossover.executor.model.Footprint;
import io.crossover.executor.model.ModelSize;
import io.crossover.executor.model.Numerics;
import io.crossover.executor.model.ParamLayout;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.precision.Precision;

/**
 * The step time of a run on a described cluster, from the FLOPs and bytes the model moves. Compute:
 * training FLOPs per token at the device's peak rate for the precision times an efficiency. Memory
 * traffic: the saved activations written, read back and their gradients written once per step, at
 * the device's memory bandwidth. Network: a ring all-reduce moves 2 (W-1)/W of the gradients per
 * rank, overlapped with the backward pass except the last bucket. A sharded optimiser ({@code
 * optim.shard}) reduce-scatters during backward (half the traffic) and all-gathers the updates
 * after the optimiser step, where nothing hides it.
 *
 * @param vocab vocabulary size
 * @param network network bandwidth per rank, bytes/s
 * @param latencyMicros latency of one ring message
 * @param eff share of the peak FLOP/s the matrix products reach
 */
public record StepTimeModel(int vocab, double network, double latencyMicros, double eff) {
  /** The share of a GPU's peak the matrix products are taken to reach. */
  public static final double GPU_EFFICIENCY = 0.5;

  /**
   * The share of a CPU core's 1024^3 matmul rate a training step reaches, fitted to {@code bench
   * step}'s FP32 steps (small and medium, on a Xeon with AMX and on an AMD EPYC: 0.64 and 0.67; the
   * README has the figures). bf16 depends on the CPU's bf16 path, which a 1024^3 matmul represents
   * poorly; {@code bench step} prints measured against planned for each.
   */
  public static final double CPU_EFFICIENCY = 0.65;

  /** Memory bandwidth the planner gives one CPU core, bytes/s. */
  public static final double CPU_BYTES_PER_S = 10e9;

  /** CPU ranks of {@code cores} cores, each at the given FP32 and bf16 matmul rates. */
  public static Device cpu(int cores, double fp32PerCore, double bf16PerCore) {
    return new Device(
        cores + " CPU core(s)",
        cores * fp32PerCore,
        cores * bf16PerCore,
        cores * CPU_BYTES_PER_S,
        0);
  }

  /**
   * A rank's step without the network, in seconds.
   *
   * @param compute at the device's peak times its efficiency
   * @param memory the activations' and weights' traffic at the device's bandwidth
   */
  public record RankSeconds(double compute, double memory) {
    public double total() {
      return compute + memory;
    }
  }

  /**
   * Compute and memory-traffic seconds of one rank's step of {@code perRank} sequences, {@code
   * micro} per forward pass with attention {@code kernel} (resolved, never {@code auto}): what a
   * rank spends without the network.
   */
  public static RankSeconds rankSeconds(
      ModelConfig m,
      int vocab,
      int seqLen,
      int perRank,
      int micro,
      Precision precision,
      TrainConfig.Attention kernel,
      boolean recompute,
      Device d,
      double eff) {
    double flops = ModelSize.trainingFlopsPerToken(m, vocab, seqLen) * perRank * seqLen;
    // Recomputation runs each block's forward a second time: a third more work than the 6 FLOPs
    // per weight and token the model does (MFU counts the model's FLOPs, not the repeat).
    double compute = flops * (recompute ? 4.0 / 3 : 1) / (d.flops(precision) * eff);
    Footprint f = Footprint.of(m, vocab, Footprint.Setting.of(seqLen, micro, precision, kernel, 1));
    // Activations written in forward, read in backward, their gradients written: three passes per
    // micro-batch, and the weights read once per micro-batch.
    double bytes =
        (perRank / micro)
            * (3.0 * (f.activations() + f.attentionScores() + f.logits()) + f.parameters());
    return new RankSeconds(compute, bytes / d.memoryBytesPerS());
  }

  /**
   * The memory of a rank of {@code c} with model {@code m}, {@code worldSize} ranks, {@code micro}
   * sequences per forward pass and the given memory settings in place of the config's: what the
   * estimate plans, and what its advice weighs when a run does not fit.
   */
  public static Footprint footprint(
      CrossoverConfig c,
      ModelConfig m,
      int vocab,
      int worldSize,
      int micro,
      OptimConfig.Shard shard,
      boolean recompute,
      TrainConfig.Attention attention) {
    int perRank = c.budget().globalBatch() / worldSize;
    return Footprint.of(
        m,
        vocab,
        new Footprint.Setting(
            c.budget().seqLen(),
            micro,
            Precision.planned(c.train().precision(), true),
            attention,
            worldSize,
            recompute,
            shard,
            c.cluster().bucketBytes(),
            perRank / micro));
  }

  public Estimate estimate(String name, CrossoverConfig c, Device d) {
    if (d == null) {
      throw new UserException(
          "run " + name + ": give --gpu KIND or --cpu-cores N (train.threads is 0)");
    }
    // Every GPU listed has bf16 tensor cores; CPU ranks are taken to be like the reference CPU.
    Precision precision = Precision.planned(c.train().precision(), true);
    int w = c.cluster().worldSize();
    int seqLen = c.budget().seqLen();
    long tokensPerStep = (long) c.budget().globalBatch() * seqLen;
    long steps = c.budget().totalTokens() / tokensPerStep;
    int perRank = c.sequencesPerRank();
    int micro = c.train().microBatchOf(perRank);
    double flopsPerRank =
        ModelSize.trainingFlopsPerToken(c.model(), vocab, seqLen) * tokensPerStep / w;
    boolean recompute = c.train().recompute() == TrainConfig.Recompute.BLOCKS;
    TrainConfig.Attention kernel =
        Numerics.kernel(
            c.train().attention(),
            d.gpu(),
            precision,
            seqLen,
            Objective.describe(c.objective()).causal());
    RankSeconds rank =
        rankSeconds(c.model(), vocab, seqLen, perRank, micro, precision, kernel, recompute, d, eff);
    double compute = rank.compute();
    double memory = rank.memory();
    Footprint held = footprint(c, c.model(), vocab, w, micro, c.optim().shard(), recompute, kernel);
    long p = ModelSize.parameters(c.model(), vocab);
    BucketPlan plan = BucketPlan.of(ParamLayout.of(c.model(), vocab), c.cluster().bucketBytes());
    // One half of the ring: (W-1)/W of the gradients over the link, W-1 messages per bucket.
    double half =
        w == 1
            ? 0
            : (w - 1.0) / w * 4.0 * p / network
                + (w - 1) * plan.buckets().size() * latencyMicros * 1e-6;
    boolean sharded = c.optim().shard().sharded() && w > 1;
    double ring = sharded ? half : 2 * half;
    double lastBucket =
        w == 1 ? 0 : ring * plan.buckets().get(plan.buckets().size() - 1).bytes() / (4.0 * p);
    double backward = (compute + memory) * 2 / 3;
    double exposed = w == 1 ? 0 : Math.max(lastBucket, ring - backward) + (sharded ? half : 0);
    double step = compute + memory + exposed;
    double mfu = flopsPerRank / (step * d.flops(precision));
    double wall = steps * step;
    return new Estimate(
        name, steps, step, compute, memory, exposed, mfu, wall, wall * w / 3600, held.device());
  }
}
