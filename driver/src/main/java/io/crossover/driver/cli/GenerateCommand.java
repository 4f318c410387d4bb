package io.crossover.driver.cli;

import io.crossover.driver.run.Checkpoint;
import io.crossover.executor.generate.Generator;
import io.crossover.executor.objective.Objective;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code crossover generate}: sample text from a trained model. */
@Command(
    name = "generate",
    header = "Sample text from a checkpoint (AR token by token, MDM by unmasking).",
    mixinStandardHelpOptions = true,
    description = {
      "Sample text from a checkpoint: AR token by token (temperature, top-p),",
      "MDM by iterative unmasking with low-confidence remasking (steps, blocks)."
    })
public final class GenerateCommand implements Callable<Integer> {
  @CommandLine.Mixin CheckpointTrust trust;

  @Option(
      names = "--checkpoint",
      required = true,
      description = "A checkpoint directory, or a run directory (latest checkpoint).")
  String checkpoint;

  @Option(
      names = "--prompt",
      defaultValue = "",
      description = "Text to continue (default: none, i.e. the start of a document).")
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

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    check(maxTokens >= 1, "--max-tokens " + maxTokens + " must be at least 1");
    check(temperature >= 0, "--temperature " + temperature + " must be >= 0 (0 is greedy)");
    check(topP > 0 && topP <= 1, "--top-p " + topP + " must be in (0, 1]");
    check(steps >= 1, "--steps " + steps + " must be at least 1");
    check(block >= 0, "--block " + block + " must be >= 0 (0: one block)");
    try (Checkpoint c = Checkpoint.open(checkpoint, new Configuration(), trust.acceptUnverified)) {
      Generator g = new Generator(c.model, c.config.budget().seqLen(), c.manager());
      // A document starts after EOD in training, so generation starts there too: an empty
      // prompt samples the beginning of a document.
      int[] text = c.tokenizer.encode(prompt);
      int[] context = new int[text.length + 1];
      context[0] = c.tokenizer.specials().eod();
      System.arraycopy(text, 0, context, 1, text.length);
      Objective objective = Objective.of(c.config.objective(), c.tokenizer.specials().mask());
      int[] out =
          objective.generate(
              g,
              context,
              new Objective.Sampling(
                  maxTokens, temperature, topP, steps, block, c.tokenizer.specials().eod(), seed));
      System.out.println(prompt + c.tokenizer.decode(out));
    }
    return 0;
  }

  private void check(boolean ok, String message) {
    if (!ok) {
      throw new ParameterException(spec.commandLine(), message);
    }
  }
}
