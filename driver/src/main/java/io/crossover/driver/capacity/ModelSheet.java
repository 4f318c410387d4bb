package io.crossover.driver.capacity;

import io.crossover.data.config.Counts;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.ModelConfig;
import io.crossover.data.config.OptimConfig;
import io.crossover.data.config.TrainConfig;
import io.crossover.executor.allreduce.BucketPlan;
import io.crossover.executor.model.Footprint;
import io.crossover.executor.model.ModelSize;
import io.crossover.executor.model.ParamLayout;
import io.crossover.executor.precision.Precision;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * What {@code crossover model} prints: a model's shape, parameters and FLOPs, its memory per rank
 * in each precision and attention kernel, and its gradient buckets.
 */
public final class ModelSheet {
  private ModelSheet() {}

  /** Prints the sheet of {@code c}'s model for a vocabulary of {@code vocab} ids. */
  public static void print(PrintStream out, CrossoverConfig c, int vocab) {
    int perRank = c.sequencesPerRank();
    int micro = c.train().microBatchOf(perRank);
    int w = c.cluster().worldSize();
    ModelConfig m = c.model();
    out.printf(
        Locale.ROOT,
        "model %s: %d layers, dim %d, %d heads (head dim %d%s), ffn %d, %s head%n",
        m.preset(),
        m.layers(),
        m.dim(),
        m.heads(),
        m.headDim(),
        m.kvHeads() == m.heads() ? "" : "; " + m.kvHeads() + " key/value heads",
        m.ffnDim(),
        m.tieEmbeddings() ? "tied" : "untied");
    out.printf(
        Locale.ROOT,
        "  parameters                 %s (%s without embeddings/head), vocab %d%n",
        Counts.grouped(ModelSize.parameters(m, vocab)),
        Counts.grouped(ModelSize.nonEmbeddingParameters(m, vocab)),
        vocab);
    out.printf(
        Locale.ROOT,
        "  training FLOPs per token   %.4g at seq-len %d (6 x matmul params + attention)%n",
        ModelSize.trainingFlopsPerToken(m, vocab, c.budget().seqLen()),
        c.budget().seqLen());
    out.printf(
        Locale.ROOT,
        "model %s: %s parameters (vocabulary %d), seq-len %d; %d sequence(s) per rank per step"
            + " (global batch %d / %d ranks), %d per forward pass (train.micro-batch)%n",
        c.model().preset(),
        Counts.grouped(ModelSize.parameters(c.model(), vocab)),
        vocab,
        c.budget().seqLen(),
        perRank,
        c.budget().globalBatch(),
        w,
        micro);
    out.printf(
        Locale.ROOT,
        "%-26s %12s %12s %12s %12s%n",
        "per rank (GiB)",
        "fp32 fused",
        "bf16 fused",
        "fp32 mater.",
        "bf16 mater.");
    boolean recompute = c.train().recompute() == TrainConfig.Recompute.BLOCKS;
    Footprint[] f = footprints(c, vocab, micro, recompute, c.optim().shard());
    row(out, "parameters (fp32)", f, Footprint::parameters);
    row(out, "gradients (fp32)", f, Footprint::gradients);
    row(out, "AdamW moments (fp32)", f, Footprint::optimizer);
    row(out, "bf16 weight copies", f, Footprint::weightCasts);
    row(out, "activations", f, Footprint::activations);
    row(out, "attention scores", f, Footprint::attentionScores);
    row(out, "logits", f, Footprint::logits);
    row(out, "total on the device", f, Footprint::device);
    row(out, "host gradient buffers", f, Footprint::hostBuffers);
    out.printf(
        Locale.ROOT,
        "by optim.shard and train.recompute (this run: %s, %s; sharding needs world size > 1):%n",
        c.optim().shard().name().toLowerCase(Locale.ROOT),
        c.train().recompute().name().toLowerCase(Locale.ROOT));
    for (OptimConfig.Shard shard : OptimConfig.Shard.values()) {
      String name = shard.name().toLowerCase(Locale.ROOT);
      for (boolean r : new boolean[] {false, true}) {
        row(
            out,
            "  device, " + name + (r ? ", blocks" : ""),
            footprints(c, vocab, micro, r, shard),
            Footprint::device);
      }
      row(
          out,
          "  host buffers, " + name,
          footprints(c, vocab, micro, recompute, shard),
          Footprint::hostBuffers);
    }
    if (w > 1 && perRank / micro > 1) {
      out.printf(
          Locale.ROOT,
          "  (gradients keeps all the device's gradients here: they add up over the step's %d"
              + " forward passes; it frees them during backward where a step is one, as with"
              + " train.micro-batch=0)%n",
          perRank / micro);
    }
    BucketPlan plan = BucketPlan.of(ParamLayout.of(c.model(), vocab), c.cluster().bucketBytes());
    out.printf(
        Locale.ROOT,
        "gradient buckets (cluster.bucket-bytes=%s): %d, largest %.1f MiB; the first leaves after"
            + " segment %d of backward (segments: %d = head, 1..%d = blocks, 0 = embedding)%n",
        Counts.grouped(c.cluster().bucketBytes()),
        plan.buckets().size(),
        plan.largestBytes() / 1048576.0,
        plan.buckets().get(0).readyAfter(),
        c.model().layers() + 1,
        c.model().layers());
    List<BucketPlan.Bucket> buckets = plan.buckets();
    for (int b = 0; b < buckets.size(); b++) {
      if (b < 4 || b >= buckets.size() - 2) {
        BucketPlan.Bucket k = buckets.get(b);
        out.printf(
            Locale.ROOT,
            "  bucket %4d: %8.2f MiB, %3d piece(s), ready after segment %d%s%n",
            b,
            k.bytes() / 1048576.0,
            k.pieces().size(),
            k.readyAfter(),
            k.hasTrailer(plan) ? ", with the finite flag and the loss" : "");
      } else if (b == 4) {
        out.println("  ...");
      }
    }
  }

  /** A rank's footprint in each precision and attention kernel, in the table's column order. */
  private static Footprint[] footprints(
      CrossoverConfig c, int vocab, int micro, boolean recompute, OptimConfig.Shard shard) {
    Footprint[] f = new Footprint[4];
    int i = 0;
    for (TrainConfig.Attention a : TrainConfig.Attention.kernels()) {
      for (Precision p : Precision.values()) {
        f[i++] = footprint(c, vocab, micro, p, a, recompute, shard);
      }
    }
    return f;
  }

  private static Footprint footprint(
      CrossoverConfig c,
      int vocab,
      int micro,
      Precision p,
      TrainConfig.Attention a,
      boolean recompute,
      OptimConfig.Shard shard) {
    return Footprint.of(
        c.model(),
        vocab,
        new Footprint.Setting(
            c.budget().seqLen(),
            micro,
            p,
            a,
            c.cluster().worldSize(),
            recompute,
            shard,
            c.cluster().bucketBytes(),
            c.sequencesPerRank() / micro));
  }

  private static void row(
      PrintStream out, String name, Footprint[] f, ToLongFunction<Footprint> part) {
    out.printf(Locale.ROOT, "%-26s", name);
    for (Footprint x : f) {
      out.printf(Locale.ROOT, " %12.3f", part.applyAsLong(x) / (double) (1L << 30));
    }
    out.println();
  }

  /**
   * The sheet's figures as one object (sizes in bytes): the shape, parameters and FLOPs, the memory
   * of one rank in every shard mode, recompute setting, precision and attention kernel, and the
   * bucket plan.
   */
  public static Map<String, Object> figures(CrossoverConfig c, int vocab) {
    ModelConfig m = c.model();
    int perRank = c.sequencesPerRank();
    int micro = c.train().microBatchOf(perRank);
    int w = c.cluster().worldSize();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("preset", m.preset());
    out.put("layers", m.layers());
    out.put("dim", m.dim());
    out.put("heads", m.heads());
    out.put("kv-heads", m.kvHeads());
    out.put("head-dim", m.headDim());
    out.put("ffn-dim", m.ffnDim());
    out.put("tied-embeddings", m.tieEmbeddings());
    out.put("vocab", vocab);
    out.put("parameters", ModelSize.parameters(m, vocab));
    out.put("non-embedding-parameters", ModelSize.nonEmbeddingParameters(m, vocab));
    out.put(
        "training-flops-per-token", ModelSize.trainingFlopsPerToken(m, vocab, c.budget().seqLen()));
    out.put("seq-len", c.budget().seqLen());
    out.put("world-size", w);
    out.put("sequences-per-rank", perRank);
    out.put("micro-batch", micro);
    List<Object> memory = new ArrayList<>();
    for (OptimConfig.Shard shard : OptimConfig.Shard.values()) {
      for (boolean recompute : new boolean[] {false, true}) {
        for (TrainConfig.Attention a : TrainConfig.Attention.kernels()) {
          for (Precision p : Precision.values()) {
            Footprint f = footprint(c, vocab, micro, p, a, recompute, shard);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("shard", shard.name().toLowerCase(Locale.ROOT));
            row.put("precision", p.label());
            row.put("attention", a.name().toLowerCase(Locale.ROOT));
            row.put("recompute", recompute ? "blocks" : "none");
            row.put("parameters", f.parameters());
            row.put("gradients", f.gradients());
            row.put("optimizer", f.optimizer());
            row.put("weight-casts", f.weightCasts());
            row.put("activations", f.activations());
            row.put("attention-scores", f.attentionScores());
            row.put("logits", f.logits());
            row.put("device", f.device());
            row.put("host-buffers", f.hostBuffers());
            memory.add(row);
          }
        }
      }
    }
    out.put("memory-per-rank", memory);
    BucketPlan plan = BucketPlan.of(ParamLayout.of(m, vocab), c.cluster().bucketBytes());
    Map<String, Object> buckets = new LinkedHashMap<>();
    buckets.put("bucket-bytes", c.cluster().bucketBytes());
    buckets.put("count", plan.buckets().size());
    buckets.put("largest-bytes", plan.largestBytes());
    buckets.put("first-ready-after-segment", plan.buckets().get(0).readyAfter());
    out.put("gradient-buckets", buckets);
    return out;
  }
}
