package io.crossover.data.config;

/**
 * How the training loop runs and reports.
 *
 * @param logEvery steps between metric lines (and progress updates)
 * @param threads intra-op threads of libtorch per rank (small models are faster on one)
 */
public record TrainConfig(int logEvery, int threads) implements java.io.Serializable {

  static TrainConfig from(Keys k) {
    return new TrainConfig(
        k.integer("train.log-every", 1, 1_000_000), k.integer("train.threads", 1, 1024));
  }
}
