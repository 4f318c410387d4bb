package io.crossover.driver.capacity;

import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.TrainConfig;
import io.crossover.executor.allreduce.BucketPlan;
import io.crossover.executor.model.Footprint;
import io.crossover.executor.model.ModelSize;
import io.crossover.executor.model.ParamLayout;
import io.crossover.executor.precision.Precision;

/**
 * The step time of a run on a described cluster, from the FLOPs and bytes the model moves. Compute:
 * training FLOPs per token at the device's peak rate for the precision times an efficiency. Memory
 * traffic: the saved activations written, read back and their gradients written once per step, at
 * the device's memory bandwidth. Network: a ring all-reduce moves 2 (W-1)/W of the gradients per
 * rank, overlapped with the backward pass except the last bucket.
 *
 * @param vocab vocabulary size
 * @param network network bandwidth per rank, bytes/s
 * @param latencyMicros latency of one ring message
 * @param eff share of the peak FLOP/s the matrix products reach
 */
public record StepTimeModel(int vocab, double network, double latencyMicros, double eff) {
  public Estimate estimate(String name, CrossoverConfig c, Device d) {
    if (d == null) {
      throw new io.crossover.data.UserException(
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
    // Recomputation runs each block's forward a second time: a third more work than the 6 FLOPs
    // per weight and token the model does (MFU counts the model's FLOPs, not the repeat).
    double compute = flopsPerRank * (recompute ? 4.0 / 3 : 1) / (d.flops(precision) * eff);
    Footprint f =
        Footprint.of(c.model(), vocab, seqLen, micro, precision, c.train().attention(), w);
    Footprint held =
        Footprint.of(
            c.model(), vocab, seqLen, micro, precision, c.train().attention(), w, recompute);
    // Activations written in forward, read in backward, their gradients written: three passes per
    // micro-batch, and the weights read once per micro-batch.
    double bytes =
        (perRank / micro)
            * (3.0 * (f.activations() + f.attentionScores() + f.logits()) + f.parameters());
    double memory = bytes / d.memoryBytesPerS();
    long p = ModelSize.parameters(c.model(), vocab);
    BucketPlan plan = BucketPlan.of(ParamLayout.of(c.model(), vocab), c.cluster().bucketBytes());
    double ring =
        w == 1
            ? 0
            : 2.0 * (w - 1) / w * 4.0 * p / network
                + 2.0 * (w - 1) * plan.buckets().size() * latencyMicros * 1e-6;
    double lastBucket =
        w == 1 ? 0 : ring * plan.buckets().get(plan.buckets().size() - 1).bytes() / (4.0 * p);
    double backward = (compute + memory) * 2 / 3;
    double exposed = w == 1 ? 0 : Math.max(lastBucket, ring - backward);
    double step = compute + memory + exposed;
    double mfu = flopsPerRank / (step * d.flops(precision));
    double wall = steps * step;
    return new Estimate(
        name, steps, step, compute, memory, exposed, mfu, wall, wall * w / 3600, held.device());
  }
}
