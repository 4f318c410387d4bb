package io.crossover.executor.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.crossover.data.config.EvalConfig;
import io.crossover.executor.generate.Generator;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.score.CausalScorer;
import io.crossover.executor.score.Likelihood;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Next-token prediction with causal attention: mean over positions of CE(logits[i], x[i+1]).
 *
 * <p>The AR arms of the reference study's control: with {@code inputMask} > 0 each input token is
 * replaced by MASK with that probability (the targets stay the clean next tokens), with {@code
 * dropout} > 0 attention weights and residual branches drop out while training. Both draw from the
 * step's noise, so a resumed run continues the same stream.
 *
 * @param maskId the MASK token (input masking replaces tokens by it)
 * @param inputMask chance that an input token is masked (0: plain AR)
 * @param dropout dropout rate while training (0: none)
 */
public record Autoregressive(int maskId, double inputMask, double dropout) implements Objective {

  /** Plain AR: no input masking, no dropout. */
  public Autoregressive() {
    this(-1, 0, 0);
  }

  @Override
  public String name() {
    StringBuilder s = new StringBuilder("ar");
    if (inputMask > 0) {
      s.append("+mask").append(number(inputMask));
    }
    if (dropout > 0) {
      s.append("+drop").append(number(dropout));
    }
    return s.toString();
  }

  private static String number(double v) {
    return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
  }

  @Override
  public Family family() {
    return Family.AUTOREGRESSIVE;
  }

  @Override
  public Optional<String> control() {
    if (inputMask == 0 && dropout == 0) {
      return Optional.empty();
    }
    List<String> parts = new ArrayList<>();
    if (inputMask > 0) {
      parts.add(Math.round(inputMask * 100) + "% of input tokens masked");
    }
    if (dropout > 0) {
      parts.add("dropout " + number(dropout));
    }
    return Optional.of("AR with " + String.join(" and ", parts));
  }

  @Override
  public String exportArchitecture() {
    return "Qwen3ForCausalLM";
  }

  @Override
  public boolean causal() {
    return true;
  }

  @Override
  public Batch prepare(int[][] tokens, SplittableRandom noise, SplittableRandom shared) {
    int rows = tokens.length;
    int predicted = tokens[0].length - 1;
    int[][] inputs = new int[rows][];
    int[][] targets = new int[rows][];
    float[][] weights = new float[rows][predicted];
    float w = 1f / ((float) rows * predicted);
    for (int r = 0; r < rows; r++) {
      inputs[r] = Arrays.copyOf(tokens[r], predicted);
      targets[r] = Arrays.copyOfRange(tokens[r], 1, predicted + 1);
      Arrays.fill(weights[r], w);
      if (inputMask > 0) {
        for (int i = 0; i < predicted; i++) {
          if (noise.nextDouble() < inputMask) {
            inputs[r][i] = maskId;
          }
        }
      }
    }
    return new Batch(inputs, targets, weights, dropout > 0 ? noise.nextLong() : 0);
  }

  /**
   * The mean next-token cross-entropy over the batch: {@link #prepare} weights every predicted
   * position 1/(B (L-1)), so the sum is the mean (input masking and dropout leave the targets
   * clean).
   */
  @Override
  public NDArray loss(NDManager manager, NDArray logits, Batch batch) {
    return CrossEntropy.weighted(manager, logits, batch);
  }

  @Override
  public String lossKind() {
    return "nll";
  }

  @Override
  public List<Scaled> validationBatches(int[][] sequences, int firstRow, int tPoints) {
    // The clean next-token NLL, each row weighted to its mean over positions.
    int predicted = sequences[0].length - 1;
    int[][] inputs = new int[sequences.length][];
    int[][] targets = new int[sequences.length][];
    float[][] weights = new float[sequences.length][predicted];
    for (int r = 0; r < sequences.length; r++) {
      inputs[r] = Arrays.copyOf(sequences[r], predicted);
      targets[r] = Arrays.copyOfRange(sequences[r], 1, predicted + 1);
      Arrays.fill(weights[r], 1f / predicted);
    }
    return List.of(new Scaled(new Batch(inputs, targets, weights), 1.0));
  }

  @Override
  public Likelihood scorer(Transformer model, int maxLength, EvalConfig eval, NDManager manager) {
    return new CausalScorer(model, maxLength, manager);
  }

  @Override
  public int[] generate(Generator generator, int[] context, Sampling s) {
    return generator.autoregressive(
        context, s.maxTokens(), s.temperature(), s.topP(), s.eod(), s.seed());
  }

  @Override
  public Map<String, Object> exportAttributes() {
    return Map.of("crossover_objective", name(), "crossover_attention", "causal");
  }
}
