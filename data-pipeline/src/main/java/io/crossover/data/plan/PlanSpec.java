package io.crossover.data.plan;

import io.crossover.data.config.CrossoverConfig;

/**
 * The inputs of a {@link TokenPlan} besides the dataset.
 *
 * @param uniqueTokens U
 * @param totalTokens T
 * @param seqLen L
 * @param globalBatch B, in sequences
 * @param worldSize W
 * @param seed the run seed
 */
public record PlanSpec(
    long uniqueTokens, long totalTokens, int seqLen, int globalBatch, int worldSize, long seed) {

  /** Takes the budget, world size and seed from a config. */
  public static PlanSpec of(CrossoverConfig config) {
    return new PlanSpec(
        config.budget().uniqueTokens(),
        config.budget().totalTokens(),
        config.budget().seqLen(),
        config.budget().globalBatch(),
        config.cluster().worldSize(),
        config.run().seed());
  }
}
