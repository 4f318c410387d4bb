package io.crossover.executor.allreduce;

import io.crossover.executor.train.TrainStep;
import io.crossover.executor.train.Trainer;

/**
 * Data-parallel gradient averaging over the ring. One extra element travels with the gradients: 1
 * where a rank's loss was finite, so all ranks learn in the same reduction whether every rank may
 * step.
 */
public final class RingGradientSync implements Trainer.GradientSync {
  private final RingAllReduce ring;

  public RingGradientSync(RingAllReduce ring) {
    this.ring = ring;
  }

  @Override
  public boolean allReduce(TrainStep step, boolean locallyFinite) {
    float[] gradients = step.gradients();
    float[] buffer = java.util.Arrays.copyOf(gradients, gradients.length + 1);
    buffer[gradients.length] = locallyFinite ? 1f : 0f;
    ring.sum(buffer);
    int w = ring.worldSize();
    boolean allFinite = buffer[gradients.length] == w;
    float scale = 1f / w;
    for (int i = 0; i < gradients.length; i++) {
      gradients[i] = buffer[i] * scale;
      allFinite &= Float.isFinite(gradients[i]);
    }
    step.setGradients(gradients);
    return allFinite;
  }
}
