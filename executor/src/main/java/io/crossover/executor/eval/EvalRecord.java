package io.crossover.executor.eval;

import java.util.Map;

/**
 * One line of evals.jsonl.
 *
 * @param step steps done (0: before training)
 * @param epoch tokens seen / unique tokens
 * @param tokensSeen tokens trained on
 * @param uniqueTokens U
 * @param valLoss held-out loss per token
 * @param valLossKind {@code nll} (AR) or {@code elbo} (MDM): not comparable with each other
 * @param tasks multiple-choice results by task name
 * @param seconds time the evaluation took
 * @param valLossPerSequence each validation sequence's loss (null in records written before it was
 *     kept)
 * @param trainingFlops training FLOPs spent to reach this point (the objective's FLOPs per token
 *     times tokens seen; 0 in records written before it was kept)
 * @param valDocs each validation sequence's document in the validation split, by which intervals
 *     resample (null in records written before it was kept)
 * @param scoring how the tasks' choices were scored (an exact likelihood, a bound, or the
 *     likelihood of another model), or null without tasks
 */
public record EvalRecord(
    long step,
    double epoch,
    long tokensSeen,
    long uniqueTokens,
    double valLoss,
    String valLossKind,
    Map<String, McResult> tasks,
    double seconds,
    double[] valLossPerSequence,
    double trainingFlops,
    int[] valDocs,
    String scoring) {}
