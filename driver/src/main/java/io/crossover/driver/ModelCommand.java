package io.crossover.driver;

import io.crossover.data.config.Counts;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.ModelConfig;
import io.crossover.executor.model.ModelSize;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code crossover model}: the size of a model shape. */
@Command(
    name = "model",
    mixinStandardHelpOptions = true,
    description = "Print a model shape's parameter count and training FLOPs per token.")
final class ModelCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--preset", description = "Shape from conf/models.conf (model.preset).")
  String preset;

  @Option(
      names = "--vocab",
      defaultValue = "259",
      description = "Vocabulary size (default ${DEFAULT-VALUE}: byte).")
  int vocab;

  @Override
  public Integer call() {
    CrossoverConfig c =
        config.load(new ConfigOptions.Sugar().put("--preset", "model.preset", preset));
    ModelConfig m = c.model();
    int seqLen = c.budget().seqLen();
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
        ModelSize.trainingFlopsPerToken(m, vocab, seqLen),
        seqLen);
    return 0;
  }
}
