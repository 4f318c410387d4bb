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
 * @param device {@code auto} (the task's GPU from Spark, else GPU 0 if any, else CPU), {@code cpu},
 *     {@code gpu} or {@code gpu:N}
 */
public record TrainConfig(
    int logEvery,
    int threads,
    int maxNonfiniteSteps,
    long checkpointEvery,
    long stopAfterSteps,
    String device)
    implements java.io.Serializable {

  static TrainConfig from(Keys k) {
    return new TrainConfig(
        k.integer("train.log-every", 1, 1_000_000),
        k.integer("train.threads", 1, 1024),
        k.integer("train.max-nonfinite-steps", 0, 1_000_000),
        k.count("train.checkpoint-every", 0, Long.MAX_VALUE / 4),
        k.count("train.stop-after-steps", 0, Long.MAX_VALUE / 4),
        device(k.string("train.device")));
  }

  private static String device(String value) {
    String v = value.trim().toLowerCase(java.util.Locale.ROOT);
    if (!v.matches("auto|cpu|gpu|gpu:\\d+")) {
      throw new ConfigException(
          "train.device", "\"" + value + "\" is not allowed; use auto, cpu, gpu or gpu:N");
    }
    return v;
  }
}
