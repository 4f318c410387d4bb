package io.crossover.executor.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;

/**
 * What steps the parameters from their averaged gradients, whole on every rank ({@link AdamW}) or
 * sharded over the ranks (ZeRO-1/2). Training, checkpoints and resumes see only this.
 */
public interface Optimizer extends AutoCloseable {
  /** Optimiser steps taken (t in the bias corrections). */
  long step();

  /** Restores the step count (with the state copied into {@link #state()}). */
  void restoreStep(long step);

  /**
   * Applies one update at {@code lr} from the gradients averaged over ranks, multiplied first by
   * {@code clipScale} (1: not clipped). Temporaries live in {@code scratch}, which the caller
   * closes.
   */
  void update(double lr, float clipScale, NDManager scratch);

  /** This rank's state, by name, in a fixed order: what a checkpoint saves and loads. */
  Map<String, NDArray> state();

  /**
   * The checkpoint file this rank's state goes to; when {@link #sharded()}, every rank writes its
   * own.
   */
  String stateFile();

  /** Whether each rank holds only its shard of the state (every rank saves and loads its file). */
  boolean sharded();

  @Override
  void close();
}
