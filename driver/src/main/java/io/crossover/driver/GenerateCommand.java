package io.crossover.driver;

import io.crossover.data.config.ObjectiveConfig;
import io.crossover.executor.generate.Generator;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code crossover generate}: sample text from a trained model. */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = {
      "Sample text from a checkpoint: AR token by token (temperature, top-p),",
      "MDM by iterative unmasking with low-confidence remasking (steps, blocks)."
    })
final class GenerateCommand implements Callable<Integer> {
  @Option(
      names = "--checkpoint",
      required = true,
      description = "A checkpoint directory, or a run directory (latest checkpoint).")
  String checkpoint;

  @Option(names = "--prompt", defaultValue = "", description = "Text to continue.")
  String prompt;

  @Option(
      names = "--max-tokens",
      defaultValue = "128",
      description = "Tokens to generate (default ${DEFAULT-VALUE}).")
  int maxTokens;

  @Option(
      names = "--temperature",
      defaultValue = "0.8",
      description = "0 is greedy (default ${DEFAULT-VALUE}).")
  double temperature;

  @Option(
      names = "--top-p",
      defaultValue = "0.95",
      description = "AR nucleus mass (default ${DEFAULT-VALUE}).")
  double topP;

  @Option(
      names = "--steps",
      defaultValue = "64",
      description = "MDM denoising steps (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(
      names = "--block",
      defaultValue = "0",
      description = "MDM block length, left to right (0: one block).")
  int block;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Sampling seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() {
    try (Checkpoint c = Checkpoint.open(checkpoint, new Configuration())) {
      Generator g = new Generator(c.model, c.config.budget().seqLen(), c.manager());
      int[] context = c.tokenizer.encode(prompt);
      int[] out =
          c.config.objective().type() == ObjectiveConfig.Type.AR
              ? g.autoregressive(
                  context, maxTokens, temperature, topP, c.tokenizer.specials().eod(), seed)
              : g.maskedDiffusion(
                  context,
                  maxTokens,
                  steps,
                  block > 0 ? block : maxTokens,
                  temperature,
                  c.tokenizer.specials().mask(),
                  seed);
      System.out.println(prompt + c.tokenizer.decode(out));
    }
    return 0;
  }
}
