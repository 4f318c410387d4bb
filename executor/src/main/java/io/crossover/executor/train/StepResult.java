package io.crossover.executor.train;

/**
 * What one optimiser step gives back.
 *
 * @param loss the loss averaged over ranks
 * @param gradNorm the global gradient norm before clipping; NaN when the step was skipped
 * @param skipped the loss or the gradients were not finite on some rank: no rank stepped
 */
public record StepResult(float loss, float gradNorm, boolean skipped) {}
