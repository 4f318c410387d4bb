package io.crossover.executor.train;

/**
 * What one optimiser step gives back.
 *
 * @param loss the loss averaged over ranks
 * @param gradNorm the global gradient norm before clipping; NaN when the step was skipped (the loss
 *     or the gradients were not finite on some rank, so no rank stepped)
 */
public record StepResult(float loss, float gradNorm) {}
