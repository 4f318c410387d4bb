package io.crossover.data.plan;

import java.util.SplittableRandom;

/**
 * A run's random streams, one per (seed, rank, step): what an objective corrupts a step's tokens
 * with, so that a resumed run draws exactly what a straight one would have.
 */
public final class Noise {
  private Noise() {}

  /** The generator of (seed, rank, step); rank -1 names the stream shared by all ranks. */
  public static SplittableRandom of(long seed, int rank, long step) {
    long z =
        seed * 0x9E3779B97F4A7C15L + (rank + 1L) * 0xC2B2AE3D27D4EB4FL + step * 0x165667B19E3779F9L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return new SplittableRandom(z ^ (z >>> 31));
  }
}
