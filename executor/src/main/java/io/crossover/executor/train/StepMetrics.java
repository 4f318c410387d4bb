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
    long skippedSteps) {}
