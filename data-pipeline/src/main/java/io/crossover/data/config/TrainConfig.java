package io.crossover.data.config;

/**
 * How the training loop runs and reports.
 *
 * @param logEvery steps between metric lines (and progress updates)
 * @param threads intra-op threads of libtorch per rank (small models are faster on one)
 * @param maxNonfiniteSteps consecutive steps with a non-finite loss or gradient that are skipped
 *     before the run stops
 * @param checkpointEvery steps between checkpoints (0: only at the end and when stopping)
 * @param stopAfterSteps stop (with a checkpoint) after this many steps in this session; 0: run to
 *     the end. For time-boxed jobs that resume later.
 */
public record TrainConfig(
    int logEvery, int threads, int maxNonfiniteSteps, long checkpointEvery, long stopAfterSteps)
    implements java.io.Serializable {

  static TrainConfig from(Keys k) {
    return new TrainConfig(
        k.integer("train.log-every", 1, 1_000_000),
        k.integer("train.threads", 1, 1024),
        k.integer("train.max-nonfinite-steps", 0, 1_000_000),
        k.count("train.checkpoint-every", 0, Long.MAX_VALUE / 4),
        k.count("train.stop-after-steps", 0, Long.MAX_VALUE / 4));
  }
}
