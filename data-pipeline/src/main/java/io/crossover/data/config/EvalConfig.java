package io.crossover.data.config;

import java.util.List;

/**
 * When and what to evaluate during training.
 *
 * @param everyEpoch evaluate whenever tokens seen cross a multiple of the unique tokens
 * @param everyTokens also evaluate every this many tokens (0: off)
 * @param minPoints at least this many evaluations per run, evenly spaced, so short runs still draw
 *     curves (the start and the end are always evaluated)
 * @param validationSequences held-out sequences of seq-len tokens for the validation loss
 * @param batch rows per forward pass during evaluation
 * @param tasks multiple-choice tasks, each {@code name=format:path} (format mc, hellaswag, mmlu)
 * @param maxItems items per task (0: all)
 * @param finalMaxItems items per task at a run's final evaluation, where its claims are made (0: as
 *     maxItems); more than maxItems buys a tighter final interval without paying for it at every
 *     intermediate point
 * @param mdmSamples MDM: Monte Carlo samples per choice for the conditional ELBO
 * @param mdmTPoints MDM: points of the fixed t grid for the validation ELBO
 * @param mdmScoring MDM: how a choice is scored, {@code sampled} (the conditional ELBO, unbiased,
 *     with mdm-samples forward rows per choice) or {@code exact} (the chain-rule likelihood, left
 *     to right, one row per continuation token, no noise)
 * @param precision of evaluation forward passes ({@code auto}, {@code fp32}, {@code bf16}), as
 *     train.precision; the same checkpoint scores differently in bf16, so it is part of a result
 */
public record EvalConfig(
    boolean everyEpoch,
    long everyTokens,
    int minPoints,
    int validationSequences,
    int batch,
    List<String> tasks,
    int maxItems,
    int finalMaxItems,
    int mdmSamples,
    int mdmTPoints,
    MdmScoring mdmScoring,
    TrainConfig.PrecisionSetting precision)
    implements java.io.Serializable {

  /** How an MDM scores a choice. */
  public enum MdmScoring {
    SAMPLED,
    EXACT
  }

  public EvalConfig {
    tasks = List.copyOf(tasks);
  }

  /** Items to read per task: enough for the final evaluation (0: all). */
  public int itemsToLoad() {
    if (maxItems == 0) {
      return 0;
    }
    return finalMaxItems == 0 ? maxItems : Math.max(maxItems, finalMaxItems);
  }

  static EvalConfig from(Keys k) {
    List<String> tasks = k.strings("eval.tasks");
    for (String t : tasks) {
      if (!t.matches("[A-Za-z0-9._-]+=(mc|hellaswag|mmlu):.+")) {
        throw new ConfigException(
            "eval.tasks",
            "entry \""
                + t
                + "\" is not name=format:path with format mc, hellaswag or mmlu;"
                + " e.g. cloze=mc:conf/data/cloze-dev.jsonl");
      }
    }
    return new EvalConfig(
        k.bool("eval.every-epoch"),
        k.count("eval.every-tokens", 0, Long.MAX_VALUE / 4),
        k.integer("eval.min-points", 0, 100_000),
        k.integer("eval.validation-sequences", 0, 1_000_000),
        k.integer("eval.batch", 1, 65_536),
        tasks,
        k.integer("eval.max-items", 0, 10_000_000),
        k.integer("eval.final-max-items", 0, 10_000_000),
        k.integer("eval.mdm-samples", 1, 4096),
        k.integer("eval.mdm-t-points", 1, 1024),
        k.choice("eval.mdm-scoring", MdmScoring.class),
        k.choice("eval.precision", TrainConfig.PrecisionSetting.class));
  }
}
