package io.crossover.executor.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.crossover.data.config.EvalConfig;
import io.crossover.data.config.ModelConfig;
import io.crossover.data.config.ObjectiveConfig;
import io.crossover.executor.generate.Generator;
import io.crossover.executor.model.ModelSize;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.score.Likelihood;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * A training objective and everything that depends on it: the attention it trains with, how it
 * turns the plan's tokens into a batch, what its validation loss is, how it scores a choice, which
 * sampler generates from it, what an export records, and which family the report pairs it in.
 * Nothing outside this package asks which objective it has.
 */
public sealed interface Objective permits Autoregressive, MaskedDiffusion {

  /** The report pairs each {@link #AUTOREGRESSIVE} arm with the {@link #DIFFUSION} run. */
  enum Family {
    AUTOREGRESSIVE,
    DIFFUSION
  }

  /** The arm as {@code objective.type} writes it: {@code ar}, {@code ar+mask0.15}, {@code mdm}. */
  String name();

  Family family();

  /** The name fit for a run directory ({@code ar-mask0.15}): what sweep run names start with. */
  default String label() {
    return name().replace('+', '-');
  }

  /** Causal attention (AR) or full attention (MDM). */
  boolean causal();

  /**
   * Builds one step's batch.
   *
   * @param tokens (B, L) sequences from the plan
   * @param noise this rank's generator for this step (seeded by seed, rank, step)
   * @param shared a generator seeded by (seed, step) only: the same draw on every rank
   */
  Batch prepare(int[][] tokens, SplittableRandom noise, SplittableRandom shared);

  /**
   * This rank's training loss on a batch {@link #prepare} made (or a micro-batch cut from it): a
   * scalar whose gradients, added over micro-batches and averaged over ranks, are the step's.
   *
   * @param logits (B, L', V) the model's output for {@code batch.inputs()}, under {@link #causal}
   */
  NDArray loss(NDManager manager, NDArray logits, Batch batch);

  /**
   * What this arm controls for, when it is a control of the reference study (AR trained with masked
   * inputs, or with dropout), in words; empty for the plain objectives.
   */
  default Optional<String> control() {
    return Optional.empty();
  }

  /**
   * What an export's {@code config.json} names as the architecture: a causal model loads as {@code
   * Qwen3ForCausalLM}; a bidirectional one has the same tensors but is not a causal LM.
   */
  String exportArchitecture();

  /** Dropout on attention weights and residual branches while training (0: none). */
  default double dropout() {
    return 0;
  }

  /**
   * What its validation loss is: {@code nll} (exact) or {@code elbo} (an upper bound on the NLL).
   */
  String lossKind();

  /**
   * The batches whose weighted cross-entropy, row by row and times each batch's scale, sum to each
   * sequence's validation loss per token. Deterministic: the same sequences always give the same
   * batches, so that successive evaluations are comparable.
   *
   * @param sequences held-out sequences of L tokens
   * @param firstRow index of {@code sequences[0]} in the validation set (fixes its noise)
   * @param tPoints MDM: points of the t grid
   */
  List<Scaled> validationBatches(int[][] sequences, int firstRow, int tPoints);

  /** A batch and the factor its per-row losses are added with. */
  record Scaled(Batch batch, double scale) {}

  /** How a choice is scored after a context (exactly, or as a bound with its standard error). */
  Likelihood scorer(Transformer model, int maxLength, EvalConfig eval, NDManager manager);

  /** Generates {@code settings.maxTokens()} tokens (AR: until EOD) after {@code context}. */
  int[] generate(Generator generator, int[] context, Sampling settings);

  /**
   * Sampling settings.
   *
   * @param maxTokens tokens to generate at most
   * @param temperature 0 is greedy
   * @param topP AR nucleus mass
   * @param steps MDM denoising steps
   * @param block MDM block length (0: one block)
   * @param eod the end-of-document id (AR stops there)
   * @param seed the sampling seed
   */
  record Sampling(
      int maxTokens, double temperature, double topP, int steps, int block, int eod, long seed) {}

  /** Keys that an export's {@code config.json} records, so that other tools run it correctly. */
  Map<String, Object> exportAttributes();

  /** Training FLOPs per token of this objective (forward + backward, attention included). */
  default double trainingFlopsPerToken(ModelConfig model, int vocabSize, int seqLen) {
    return ModelSize.trainingFlopsPerToken(model, vocabSize, seqLen);
  }

  /** The objective of a config; {@code maskId} is the tokenizer's MASK. */
  static Objective of(ObjectiveConfig config, int maskId) {
    return switch (config.type()) {
      case AR -> new Autoregressive(maskId, config.arInputMask(), config.arDropout());
      case MDM -> new MaskedDiffusion(maskId, config.randomLengthProbability());
    };
  }

  /** The objective of a config, for what needs no tokenizer (names, families, loss kinds). */
  static Objective describe(ObjectiveConfig config) {
    return of(config, -1);
  }
}
