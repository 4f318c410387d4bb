package io.crossover.data.read;

/**
 * One rank's input for one step.
 *
 * @param step the optimiser step
 * @param tokens {@code [B/W][L]} token ids
 */
public record StepBatch(long step, int[][] tokens) {}
