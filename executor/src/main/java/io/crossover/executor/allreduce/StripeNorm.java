package io.crossover.executor.allreduce;

import java.util.Arrays;

/**
 * The global norm of a gradient vector, added up in an order fixed by the elements' global indices
 * alone: each stripe of {@code stripe} elements (the unit of ownership of the collective) is summed
 * in double, in four lanes by index, by the one rank that holds it; the stripes' sums travel as
 * float pairs (a sum with zeros is exact) and are added in stripe order. So the norm is bitwise the
 * same whether one rank has every averaged gradient or each rank its shard.
 */
final class StripeNorm {
  private static final int LANES = 4;
  private final int stripe;
  private final double[] lanes;

  /**
   * @param elements the vector's length
   * @param stripe elements per stripe
   */
  StripeNorm(long elements, int stripe) {
    this.stripe = stripe;
    long stripes = Math.max(1, (elements + stripe - 1) / stripe);
    if (stripes * LANES > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(elements + " elements in stripes of " + stripe);
    }
    this.lanes = new double[(int) stripes * LANES];
  }

  int stripes() {
    return lanes.length / LANES;
  }

  void reset() {
    Arrays.fill(lanes, 0);
  }

  /**
   * Adds the squares of {@code buffer[from, to)}, which hold the vector's elements from {@code
   * globalIndex + from}. Each stripe's elements must be added in ascending order of index.
   */
  void add(float[] buffer, int from, int to, long globalIndex) {
    int i = from;
    while (i < to) {
      long s = (globalIndex + i) / stripe;
      int end = (int) Math.min(to, (s + 1) * stripe - globalIndex);
      int base = (int) s * LANES;
      for (; i < end; i++) {
        double x = buffer[i];
        lanes[base + (int) ((globalIndex + i) & (LANES - 1))] += x * x;
      }
    }
  }

  /** Each stripe's sum as a (high, low) float pair; stripes never added are (0, 0). */
  float[] pairs() {
    float[] out = new float[2 * stripes()];
    for (int s = 0; s < stripes(); s++) {
      double sum = 0;
      for (int l = 0; l < LANES; l++) {
        sum += lanes[s * LANES + l];
      }
      float high = (float) sum;
      out[2 * s] = high;
      out[2 * s + 1] = (float) (sum - high);
    }
    return out;
  }

  /** The norm from stripe pairs (this rank's, or every rank's summed). */
  static float norm(float[] pairs) {
    double total = 0;
    for (int i = 0; i < pairs.length; i += 2) {
      total += (double) pairs[i] + (double) pairs[i + 1];
    }
    return (float) Math.sqrt(total);
  }
}
