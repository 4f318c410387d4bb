package io.crossover.executor.allreduce;

/**
 * The ranks of one run, as the training and evaluation code sees them: who am I, how many are we,
 * and an element-wise sum that leaves every rank with bitwise the same result.
 */
public interface Collective {
  /** One rank alone: the sum is the buffer itself. */
  Collective SINGLE =
      new Collective() {
        @Override
        public int rank() {
          return 0;
        }

        @Override
        public int worldSize() {
          return 1;
        }

        @Override
        public void sum(float[] buffer) {}
      };

  int rank();

  int worldSize();

  /** Replaces {@code buffer} by the element-wise sum over ranks. */
  void sum(float[] buffer);

  /** Whether this rank does work item {@code index} of a list shared round-robin over the ranks. */
  default boolean owns(int index) {
    return index % worldSize() == rank();
  }
}
