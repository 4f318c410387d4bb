package io.crossover.executor.allreduce;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * At most {@code slots} host buffers out at once, reused by length: what bounds a ZeRO-2 rank's
 * host memory for gradients to a couple of buckets. {@link #take} waits while all are out (the
 * communication thread gives them back as it finishes each bucket, or fails).
 */
final class BufferPool {
  private final Semaphore slots;
  private final List<float[]> free = new ArrayList<>();

  BufferPool(int slots) {
    this.slots = new Semaphore(slots);
  }

  /**
   * A buffer of {@code length}, or null when none was given back within {@code millis} (the caller
   * checks whether the communication failed, then waits again).
   */
  float[] take(int length, long millis) throws InterruptedException {
    if (!slots.tryAcquire(millis, TimeUnit.MILLISECONDS)) {
      return null;
    }
    synchronized (free) {
      for (int i = 0; i < free.size(); i++) {
        if (free.get(i).length == length) {
          return free.remove(i);
        }
      }
      // Buffers of other lengths (the last buckets') are dropped rather than kept beside.
      if (free.size() >= 2) {
        free.remove(0);
      }
    }
    return new float[length];
  }

  /** Bytes of the buffers kept for reuse. */
  long bytes() {
    synchronized (free) {
      return free.stream().mapToLong(b -> 4L * b.length).sum();
    }
  }

  void give(float[] buffer) {
    synchronized (free) {
      free.add(buffer);
    }
    slots.release();
  }
}
