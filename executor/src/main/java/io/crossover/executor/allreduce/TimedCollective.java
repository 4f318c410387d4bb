package io.crossover.executor.allreduce;

import java.util.concurrent.atomic.LongAdder;

/**
 * A collective that counts the nanoseconds its reductions take, from whichever thread calls them:
 * what a rank spends moving gradients and updates, hidden behind backward or not.
 */
final class TimedCollective implements Collective {
  private final Collective inner;
  private final LongAdder nanos = new LongAdder();

  TimedCollective(Collective inner) {
    this.inner = inner;
  }

  /** Nanoseconds spent in sum, reduce-scatter and all-gather so far. */
  long nanos() {
    return nanos.sum();
  }

  @Override
  public int rank() {
    return inner.rank();
  }

  @Override
  public int worldSize() {
    return inner.worldSize();
  }

  @Override
  public void sum(float[] buffer, long globalIndex) {
    timed(() -> inner.sum(buffer, globalIndex));
  }

  @Override
  public void reduceScatter(float[] buffer, long globalIndex) {
    timed(() -> inner.reduceScatter(buffer, globalIndex));
  }

  @Override
  public void allGather(float[] buffer, long globalIndex) {
    timed(() -> inner.allGather(buffer, globalIndex));
  }

  private void timed(Runnable collective) {
    long start = System.nanoTime();
    try {
      collective.run();
    } finally {
      nanos.add(System.nanoTime() - start);
    }
  }

  @Override
  public int[] owned(int length, long globalIndex) {
    return inner.owned(length, globalIndex);
  }

  @Override
  public int stripe() {
    return inner.stripe();
  }
}
