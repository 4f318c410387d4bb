package io.crossover.executor.train;

/**
 * What the trainer reports at a logged step (one line of metrics.jsonl).
 *
 * @param step optimiser steps done
 * @param steps the plan's total
 * @param epoch tokens seen / unique tokens
 * @param tokensSeen tokens trained on so far, over all ranks
 * @param uniqueTokens U
 * @param loss this rank's loss at this step
 * @param lr learning rate of this step
 * @param gradNorm global gradient norm before clipping
 * @param tokensPerS training throughput over all ranks since the last report
 * @param elapsedS seconds since training started (this process)
 * @param etaS estimated seconds to the end of the plan
 * @param skippedSteps steps skipped so far because the loss or gradients were not finite
 * @param allReduceS seconds per step this rank spent in collectives since the last report, hidden
 *     behind backward or not (0 on one rank)
 * @param allReduceWaitS of which the step waited for, outside backward
 * @param modelFlopsPerS the model's training FLOPs per second over all ranks (6 per weight and
 *     token plus attention), whatever recomputation adds
 * @param mfu modelFlopsPerS over the ranks' peak; NaN where the device's peak is not known (CPUs)
 */
public record StepMetrics(
    long step,
    long steps,
    double epoch,
    long tokensSeen,
    long uniqueTokens,
    double loss,
    double lr,
    double gradNorm,
    double tokensPerS,
    double elapsedS,
    double etaS,
    long skippedSteps,
    double allReduceS,
    double allReduceWaitS,
    double modelFlopsPerS,
    double mfu) {}
