package io.crossover.data.config;

import java.io.Serializable;

/**
 * The fixed token budget that the experiment varies: how many tokens are unique and how many are
 * seen in total (the rest is repetition).
 *
 * @param uniqueTokens U, the size of the unique set; a multiple of {@code seqLen}
 * @param totalTokens T, tokens trained on; a multiple of {@code globalBatch * seqLen}
 * @param seqLen L, tokens per training sequence
 * @param globalBatch B, sequences per optimiser step over all ranks
 */
public record BudgetConfig(long uniqueTokens, long totalTokens, int seqLen, int globalBatch)
    implements Serializable {

  static BudgetConfig from(Keys k) {
    return new BudgetConfig(
        k.count("budget.unique-tokens", 1, Long.MAX_VALUE / 4),
        k.count("budget.total-tokens", 1, Long.MAX_VALUE / 4),
        k.integer("budget.seq-len", 2, 1 << 20),
        k.integer("budget.global-batch", 1, 1 << 20));
  }
}
