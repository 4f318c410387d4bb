package io.crossover.driver.cli;

import io.crossover.data.Json;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.driver.capacity.ModelSheet;
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

  @Option(
      names = "--json",
      description = "Print the same figures as one JSON object (bytes) instead of the tables.")
  boolean json;

  @Override
  public Integer call() {
    Inputs.vocab(vocab, "--vocab");
    CrossoverConfig c =
        config.load(new ConfigOptions.Sugar().put("--preset", "model.preset", preset));
    if (json) {
      System.out.println(Json.write(ModelSheet.figures(c, vocab)));
    } else {
      ModelSheet.print(System.out, c, vocab);
    }
    return 0;
  }
}
