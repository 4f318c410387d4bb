package io.crossover.executor.allreduce;

import io.crossover.executor.train.TrainStep;
import io.crossover.executor.train.Trainer;

/**
 * Data-parallel gradient averaging over the ring. One extra element travels with the gradients: 1
 * where a rank's loss was finite, so all ranks learn in the same reduction whether every rank may
 * step.
 */
public final class RingGradientSync implements Trainer.GradientSync {
  private final Collective ring;

  public RingGradientSync(Collective ring) {
    this.ring = ring;
  }

  @Override
  public boolean allReduce(TrainStep step, boolean locallyFinite) {
    float[] buffer = step.gradients(1);
    int n = buffer.length - 1;
    buffer[n] = locallyFinite ? 1f : 0f;
    ring.sum(buffer);
    int w = ring.worldSize();
    boolean allFinite = buffer[n] == w;
    float scale = 1f / w;
    for (int i = 0; i < n; i++) {
      buffer[i] *= scale;
      allFinite &= Float.isFinite(buffer[i]);
    }
    step.setGradients(buffer);
    return allFinite;
  }
}
