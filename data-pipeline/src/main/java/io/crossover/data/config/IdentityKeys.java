package io.crossover.data.config;

import java.util.List;

/**
 * Which config keys define an experiment. Every key changes what is trained or measured, except
 * those listed here: they change how a run goes (where, how fast, how often it logs or
 * checkpoints), never its numbers. A run's identity, a resume and the report's pairing of runs all
 * read this one list.
 */
public final class IdentityKeys {
  private IdentityKeys() {}

  /** Keys (and key prefixes, ending in '.') that a resumed run may change. */
  public static final List<String> MAY_CHANGE =
      List.of(
          "train.log-every",
          "train.checkpoint-every",
          "train.stop-after-steps",
          "train.threads",
          "train.device",
          "train.max-nonfinite-steps",
          "cluster.master",
          "cluster.executor-memory",
          "cluster.spark-conf.",
          "cluster.allreduce-timeout-seconds",
          "cluster.allreduce-piece-bytes",
          "cluster.barrier-timeout-seconds",
          // How gradients travel: bitwise the same sums whatever the buckets or backend.
          "cluster.bucket-bytes",
          "cluster.collective",
          // How a step is computed, to float rounding: a resume on other hardware may need them.
          "train.micro-batch",
          "train.attention",
          // Recomputed activations give bitwise the gradients of kept ones.
          "train.recompute",
          "reader.",
          "eval.batch",
          "run.root",
          "run.name",
          // Ingest settings: the dataset's manifest hash stands for what they made.
          "data.input.",
          "data.shard-tokens",
          "data.batch-tokens",
          "data.validation.",
          "data.ingest-partitions",
          "data.cloze-items",
          "data.cloze-seed");

  /** Whether {@code key} (flattened, e.g. {@code optim.lr}) may differ without changing results. */
  public static boolean mayChange(String key) {
    for (String k : MAY_CHANGE) {
      if (k.endsWith(".") ? key.startsWith(k) : key.equals(k)) {
        return true;
      }
    }
    return false;
  }
}
