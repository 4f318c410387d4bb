package io.crossover.executor.objective;

import io.crossover.data.config.ObjectiveConfig;
import java.util.SplittableRandom;

/**
 * A training objective: the attention mask it needs and how it turns a batch of token sequences
 * into model inputs, targets and weights. The model is the same for every objective.
 */
public sealed interface Objective permits Autoregressive, MaskedDiffusion {

  /** {@code ar} or {@code mdm}. */
  String name();

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

  /** The objective of a config; {@code maskId} is the tokenizer's MASK. */
  static Objective of(ObjectiveConfig config, int maskId) {
    return switch (config.type()) {
      case AR -> new Autoregressive();
      case MDM -> new MaskedDiffusion(maskId, config.randomLengthProbability());
    };
  }

  /** The noise generator of (seed, rank, step); rank -1 names the stream shared by all ranks. */
  static SplittableRandom noise(long seed, int rank, long step) {
    long z =
        seed * 0x9E3779B97F4A7C15L + (rank + 1L) * 0xC2B2AE3D27D4EB4FL + step * 0x165667B19E3779F9L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return new SplittableRandom(z ^ (z >>> 31));
  }
}
