package io.crossover.executor.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.crossover.data.UserException;
import io.crossover.data.config.EvalConfig;
import io.crossover.data.plan.Noise;
import io.crossover.executor.generate.Generator;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.score.ElboScorer;
import io.crossover.executor.score.LeftToRightScorer;
import io.crossover.executor.score.Likelihood;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Absorbing-state masked diffusion (as in LLaDA / SMDM / MDLM), bidirectional attention, no shift.
 * Per row: t ~ U(0,1); each token is replaced by MASK with probability t; a row with no masked
 * token gets one at a uniform position. The row's loss is (1/L) * sum over masked positions of CE /
 * p with p the row's realised mask ratio (masked / L) — that is, the mean CE over its masked
 * positions. With probability {@code randomLengthProbability} a step trains on the first ℓ tokens
 * of every row, ℓ uniform in 2..L and the same on every rank.
 *
 * @param maskId the MASK token
 * @param randomLengthProbability chance per step of a random length
 */
public record MaskedDiffusion(int maskId, double randomLengthProbability) implements Objective {

  @Override
  public String name() {
    return "mdm";
  }

  /**
   * The same tensors as Qwen3 under full attention, predicting masked tokens: not a causal LM, so
   * not {@code Qwen3ForCausalLM}. LLaDA-style tools read this name with crossover_attention.
   */
  @Override
  public String exportArchitecture() {
    return "Qwen3ForMaskedDiffusion";
  }

  @Override
  public Family family() {
    return Family.DIFFUSION;
  }

  @Override
  public boolean causal() {
    return false;
  }

  @Override
  public Batch prepare(int[][] tokens, SplittableRandom noise, SplittableRandom shared) {
    int full = tokens[0].length;
    int length = full;
    if (shared.nextDouble() < randomLengthProbability) {
      length = 2 + shared.nextInt(full - 1);
    }
    int rows = tokens.length;
    int[][] inputs = new int[rows][];
    int[][] targets = new int[rows][];
    float[][] weights = new float[rows][length];
    for (int r = 0; r < rows; r++) {
      targets[r] = Arrays.copyOf(tokens[r], length);
      inputs[r] = targets[r].clone();
      double t = noise.nextDouble();
      boolean[] masked = new boolean[length];
      int count = 0;
      for (int i = 0; i < length; i++) {
        if (noise.nextDouble() < t) {
          masked[i] = true;
          count++;
        }
      }
      if (count == 0) {
        masked[noise.nextInt(length)] = true;
        count = 1;
      }
      float w = weight(rows, count);
      for (int i = 0; i < length; i++) {
        if (masked[i]) {
          inputs[r][i] = maskId;
          weights[r][i] = w;
        }
      }
    }
    return new Batch(inputs, targets, weights);
  }

  /**
   * A masked position's weight in the training loss: 1/(B m) for a row of B with m masked tokens,
   * that is CE / p over the row's masked positions with p = m / L its realised mask ratio, times
   * 1/L, averaged over rows. The weights sum to 1 over the batch (see {@link #loss}).
   */
  private static float weight(int rows, int masked) {
    return 1f / ((float) rows * masked);
  }

  /**
   * The MDM training loss, a Monte Carlo estimate of the negative ELBO per token: per row, the mean
   * cross-entropy of the clean tokens at its masked positions (the 1/t weighting with t replaced by
   * the row's realised mask ratio, which lowers the variance), averaged over the batch's rows. The
   * weights {@link #prepare} set ({@link #weight}) carry the weighting; unmasked positions weigh 0.
   */
  @Override
  public NDArray loss(NDManager manager, NDArray logits, Batch batch) {
    return CrossEntropy.weighted(manager, logits, batch);
  }

  @Override
  public String lossKind() {
    return "elbo";
  }

  /**
   * The negative ELBO on a fixed grid t_k = (k + 0.5)/K: each token masked with probability t_k by
   * masks fixed per (sequence, k), weighted by 1/(t_k L). An upper bound on the NLL per token.
   */
  @Override
  public List<Scaled> validationBatches(int[][] sequences, int firstRow, int tPoints) {
    List<Scaled> out = new ArrayList<>();
    for (int k = 0; k < tPoints; k++) {
      double t = (k + 0.5) / tPoints;
      int rows = sequences.length;
      int length = sequences[0].length;
      int[][] inputs = new int[rows][];
      float[][] weights = new float[rows][length];
      float w = (float) (1.0 / (t * length));
      for (int r = 0; r < rows; r++) {
        SplittableRandom random = Noise.of(0x5EED, firstRow + r, k);
        inputs[r] = sequences[r].clone();
        for (int i = 0; i < length; i++) {
          if (random.nextDouble() < t) {
            inputs[r][i] = maskId;
            weights[r][i] = w;
          }
        }
      }
      out.add(new Scaled(new Batch(inputs, sequences, weights), 1.0 / tPoints));
    }
    return out;
  }

  @Override
  public Likelihood scorer(Transformer model, int maxLength, EvalConfig eval, NDManager manager) {
    return eval.mdmScoring() == EvalConfig.MdmScoring.LEFT_TO_RIGHT
        ? new LeftToRightScorer(model, maskId, maxLength, manager)
        : new ElboScorer(model, maskId, maxLength, eval.mdmSamples(), manager);
  }

  @Override
  public int[] generate(Generator generator, int[] context, Sampling s) {
    if (context.length + s.maxTokens() > generator.maxLength()) {
      throw new UserException(
          "--max-tokens "
              + s.maxTokens()
              + " plus the prompt's "
              + context.length
              + " tokens (with the document start) exceed the model's sequence length "
              + generator.maxLength()
              + "; an MDM generates inside one sequence");
    }
    return generator.maskedDiffusion(
        context,
        s.maxTokens(),
        s.steps(),
        s.block() > 0 ? s.block() : s.maxTokens(),
        s.temperature(),
        maskId,
        s.seed());
  }

  @Override
  public Map<String, Object> exportAttributes() {
    return Map.of(
        "crossover_objective",
        name(),
        "crossover_attention",
        "full",
        "crossover_mask_token_id",
        maskId);
  }
}
