package io.crossover.data.plan;

/**
 * A position in a plan: the next step to run. {@code epoch} and {@code offset} say where that step
 * starts in the epoch sequence (offset = sequences of the epoch already read).
 *
 * @param step the next optimiser step, 0-based
 * @param epoch the epoch the step starts in, 0-based
 * @param offset unique sequences of that epoch already read
 */
public record Cursor(long step, long epoch, long offset) {}
