package io.crossover.executor.allreduce;

/**
 * Averages gradients across data-parallel ranks, in step with the backward pass: {@link #begin}
 * once the step's loss is known, {@link #segmentDone} as backward finishes each segment (top
 * first), then {@link #finish}.
 */
public interface GradientSync extends AutoCloseable {
  /** Whether the last micro-batch's backward should run segment by segment. */
  boolean bySegments();

  /** This rank's loss for {@code step}, before the last micro-batch's backward. */
  void begin(long step, float loss);

  /** The gradients of segment {@code segment} and every segment above it are final. */
  void segmentDone(int segment);

  /** Leaves the average gradient over ranks; returns what all ranks agree on. */
  Result finish();

  /**
   * The ranks' verdict for a step.
   *
   * @param finite every rank's loss and the averaged gradients are finite: all may step
   * @param meanLoss the loss averaged over ranks
   * @param gradNorm the global norm of the averaged gradients, computed in an order that does not
   *     depend on how the ranks share them (so every shard mode clips alike); NaN when the sync
   *     leaves the gradients on the device for the trainer to measure
   */
  record Result(boolean finite, float meanLoss, float gradNorm) {
    /** A verdict that leaves the norm to the trainer. */
    public Result(boolean finite, float meanLoss) {
      this(finite, meanLoss, Float.NaN);
    }
  }

  /**
   * Nanoseconds this rank has spent in collectives so far, on any thread: hidden behind backward or
   * not.
   */
  default long commNanos() {
    return 0;
  }

  /** Of which the training thread waited for, outside backward (the exposed part). */
  default long waitNanos() {
    return 0;
  }

  /** Stops any communication thread. */
  @Override
  default void close() {}

  /** One rank needs no synchronisation: its loss is the verdict. */
  static GradientSync singleRank() {
    return new GradientSync() {
      private float loss;

      @Override
      public boolean bySegments() {
        return false;
      }

      @Override
      public void begin(long step, float loss) {
        this.loss = loss;
      }

      @Override
      public void segmentDone(int segment) {}

      @Override
      public Result finish() {
        return new Result(Float.isFinite(loss), loss);
      }
    };
  }
}
