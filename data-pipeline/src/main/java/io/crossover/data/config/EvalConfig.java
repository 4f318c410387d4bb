package io.crossover.data.config;

import com.fasterxml.jackson.annotation.JsonValue;
import io.crossover.data.UserException;
import java.io.Serializable;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * When and what to evaluate during training.
 *
 * @param everyEpoch evaluate whenever tokens seen cross a multiple of the unique tokens
 * @param everyTokens also evaluate every this many tokens (0: off)
 * @param minPoints at least this many evaluations per run, evenly spaced, so short runs still draw
 *     curves (the start and the end are always evaluated)
 * @param logPoints also this many points evenly spaced in log tokens from the end of the first
 *     epoch (or the first step) to the end (0: off): under repetition AR's best comes within a few
 *     epochs and MDM's ELBO still falls after hundreds, which evenly spaced points cannot both
 *     resolve
 * @param validationSequences held-out sequences of seq-len tokens for the validation loss
 * @param batch rows per forward pass during evaluation
 * @param tasks multiple-choice tasks, each {@code name=format:path} (format mc, hellaswag, mmlu)
 * @param maxItems items per task (0: all)
 * @param finalMaxItems items per task at a run's final evaluation, where its claims are made (0: as
 *     maxItems); more than maxItems buys a tighter final interval without paying for it at every
 *     intermediate point
 * @param mdmSamples MDM: Monte Carlo samples per choice for the conditional ELBO
 * @param mdmTPoints MDM: points of the fixed t grid for the validation ELBO
 * @param mdmScoring MDM: how a choice is scored, {@code sampled} (the conditional ELBO, an upper
 *     bound on the MDM's NLL, estimated without bias from mdm-samples forward rows per choice) or
 *     {@code left-to-right} (the likelihood of one left-to-right model built from the MDM's
 *     conditionals, each continuation token predicted with the later ones masked: no noise, one row
 *     per continuation token, but not the MDM's own likelihood and with no bound relation to its
 *     ELBO)
 * @param validationSeed fixes which held-out sequences the validation loss is measured on (drawn
 *     across the whole validation split, stratified by document); the same for every run of a
 *     comparison, whatever its run.seed
 * @param precision of evaluation forward passes ({@code auto}, {@code fp32}, {@code bf16}), as
 *     train.precision; the same checkpoint scores differently in bf16, so it is part of a result
 */
public record EvalConfig(
    boolean everyEpoch,
    long everyTokens,
    int minPoints,
    int logPoints,
    int validationSequences,
    int batch,
    List<String> tasks,
    int maxItems,
    int finalMaxItems,
    int mdmSamples,
    int mdmTPoints,
    MdmScoring mdmScoring,
    TrainConfig.PrecisionSetting precision,
    long validationSeed)
    implements Serializable {

  /** How an MDM scores a choice. */
  public enum MdmScoring {
    /** The conditional ELBO (an upper bound on the NLL), Monte Carlo. */
    SAMPLED,
    /** The left-to-right likelihood of the MDM's conditionals (not the MDM's own likelihood). */
    LEFT_TO_RIGHT;

    /** As the config writes it: {@code sampled}, {@code left-to-right}. */
    @JsonValue
    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** The same settings with another MDM scoring, samples and precision (eval's own options). */
  public EvalConfig with(MdmScoring scoring, int samples, TrainConfig.PrecisionSetting p) {
    return new EvalConfig(
        everyEpoch,
        everyTokens,
        minPoints,
        logPoints,
        validationSequences,
        batch,
        tasks,
        maxItems,
        finalMaxItems,
        samples,
        mdmTPoints,
        scoring,
        p,
        validationSeed);
  }

  /** The same settings with other task specs. */
  public EvalConfig withTasks(List<String> specs) {
    return new EvalConfig(
        everyEpoch,
        everyTokens,
        minPoints,
        logPoints,
        validationSequences,
        batch,
        specs,
        maxItems,
        finalMaxItems,
        mdmSamples,
        mdmTPoints,
        mdmScoring,
        precision,
        validationSeed);
  }

  public EvalConfig {
    tasks = List.copyOf(tasks);
  }

  /**
   * The name of a task spec ({@code name=format:path} or {@code name:path}), as results are
   * labelled.
   */
  public static String taskName(String spec) {
    int eq = spec.indexOf('=');
    int colon = spec.indexOf(':');
    boolean named = eq > 0 && (colon < 0 || eq < colon);
    return spec.substring(0, named ? eq : Math.max(0, colon));
  }

  /**
   * Refuses two specs with one name (results are keyed by it): the same task twice, or one name for
   * two files. {@code where} names the key or option in the message.
   */
  public static void checkNames(List<String> specs, String where) {
    Map<String, String> seen = new HashMap<>();
    for (String spec : specs) {
      String name = taskName(spec);
      String before = seen.putIfAbsent(name, spec);
      if (before != null) {
        String message =
            before.equals(spec)
                ? "names the task \"" + spec + "\" twice; list it once"
                : "gives the name \""
                    + name
                    + "\" to two tasks (\""
                    + before
                    + "\" and \""
                    + spec
                    + "\"); results are labelled by name, so give each its own";
        throw where.startsWith("--")
            ? new UserException(where + " " + message)
            : new ConfigException(where, message);
      }
    }
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
    checkNames(tasks, "eval.tasks");
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
        k.integer("eval.log-points", 0, 100_000),
        k.integer("eval.validation-sequences", 0, 1_000_000),
        k.integer("eval.batch", 1, 65_536),
        tasks,
        k.integer("eval.max-items", 0, 10_000_000),
        k.integer("eval.final-max-items", 0, 10_000_000),
        k.integer("eval.mdm-samples", 1, 4096),
        k.integer("eval.mdm-t-points", 1, 1024),
        scoring(k),
        k.choice("eval.precision", TrainConfig.PrecisionSetting.class),
        k.number("eval.validation-seed", Long.MIN_VALUE, Long.MAX_VALUE));
  }

  private static MdmScoring scoring(Keys k) {
    if (k.string("eval.mdm-scoring").trim().equalsIgnoreCase("exact")) {
      throw new ConfigException(
          "eval.mdm-scoring",
          "value \"exact\" was renamed: use left-to-right (the likelihood of a left-to-right model"
              + " built from the MDM's conditionals, which is not the MDM's own likelihood and has no"
              + " bound relation to its ELBO) or sampled (the conditional ELBO)");
    }
    return k.choice("eval.mdm-scoring", MdmScoring.class);
  }
}
