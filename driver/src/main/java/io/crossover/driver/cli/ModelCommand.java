package io.crossover.driver.cli;

import io.crossover.data.config.Counts;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.TrainConfig;
import io.crossover.executor.allreduce.BucketPlan;
import io.crossover.executor.model.Footprint;
import io.crossover.executor.model.ModelSize;
import io.crossover.executor.model.ParamLayout;
import io.crossover.executor.precision.Precision;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code crossover model}: what one rank of a config needs, from the shape alone: parameters,
 * gradients, optimiser state and activations (by precision, micro-batch and attention kernel), and
 * the plan of gradient buckets.
 */
@Command(
    name = "model",
    mixinStandardHelpOptions = true,
    description =
        "A shape's size and FLOPs, its per-rank memory (parameters, gradients, AdamW, activations) and the gradient bucket plan"
            + " of a config, computed from its shape.")
public final class ModelCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--preset", description = "Model shape (model.preset).")
  String preset;

  @Option(
      names = "--vocab",
      defaultValue = "259",
      description = "Vocabulary size (default ${DEFAULT-VALUE}: byte; GPT-2's BPE: 50304).")
  int vocab;

  @Override
  public Integer call() {
    Inputs.vocab(vocab, "--vocab");
    CrossoverConfig c =
        config.load(new ConfigOptions.Sugar().put("--preset", "model.preset", preset));
    int perRank = c.sequencesPerRank();
    int micro = c.train().microBatchOf(perRank);
    int w = c.cluster().worldSize();
    io.crossover.data.config.ModelConfig m = c.model();
    System.out.printf(
        Locale.ROOT,
        "model %s: %d layers, dim %d, %d heads (head dim %d), ffn %d, %s head%n",
        m.preset(),
        m.layers(),
        m.dim(),
        m.heads(),
        m.headDim(),
        m.ffnDim(),
        m.tieEmbeddings() ? "tied" : "untied");
    System.out.printf(
        Locale.ROOT,
        "  parameters                 %s (%s without embeddings/head), vocab %d%n",
        Counts.grouped(ModelSize.parameters(m, vocab)),
        Counts.grouped(ModelSize.nonEmbeddingParameters(m, vocab)),
        vocab);
    System.out.printf(
        Locale.ROOT,
        "  training FLOPs per token   %.4g at seq-len %d (6 x matmul params + attention)%n",
        ModelSize.trainingFlopsPerToken(m, vocab, c.budget().seqLen()),
        c.budget().seqLen());
    System.out.printf(
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
    System.out.printf(
        Locale.ROOT,
        "%-26s %12s %12s %12s %12s%n",
        "per rank (GiB)",
        "fp32 fused",
        "bf16 fused",
        "fp32 mater.",
        "bf16 mater.");
    Footprint[] f = new Footprint[4];
    int i = 0;
    for (TrainConfig.Attention a : TrainConfig.Attention.values()) {
      for (Precision p : Precision.values()) {
        f[i++] = Footprint.of(c.model(), vocab, c.budget().seqLen(), micro, p, a, w);
      }
    }
    row("parameters (fp32)", f, Footprint::parameters);
    row("gradients (fp32)", f, Footprint::gradients);
    row("AdamW moments (fp32)", f, Footprint::optimizer);
    row("bf16 weight copies", f, Footprint::weightCasts);
    row("activations", f, Footprint::activations);
    row("attention scores", f, Footprint::attentionScores);
    row("logits", f, Footprint::logits);
    row("total on the device", f, Footprint::device);
    row("host gradient buckets", f, Footprint::hostBuffers);
    BucketPlan plan = BucketPlan.of(ParamLayout.of(c.model(), vocab), c.cluster().bucketBytes());
    System.out.printf(
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
        System.out.printf(
            Locale.ROOT,
            "  bucket %4d: %8.2f MiB, %3d piece(s), ready after segment %d%s%n",
            b,
            k.bytes() / 1048576.0,
            k.pieces().size(),
            k.readyAfter(),
            k.hasTrailer(plan) ? ", with the finite flag and the loss" : "");
      } else if (b == 4) {
        System.out.println("  ...");
      }
    }
    return 0;
  }

  private static void row(
      String name, Footprint[] f, java.util.function.ToLongFunction<Footprint> part) {
    System.out.printf(Locale.ROOT, "%-26s", name);
    for (Footprint x : f) {
      System.out.printf(Locale.ROOT, " %12.3f", part.applyAsLong(x) / (double) (1L << 30));
    }
    System.out.println();
  }
}
