package io.crossover.executor.allreduce;

import io.crossover.data.config.ClusterConfig;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;

/**
 * The ranks of one run, as the training and evaluation code sees them: who am I, how many are we,
 * and an element-wise sum that leaves every rank with bitwise the same result, also in its two
 * halves (reduce-scatter to the rank that owns each element, then all-gather), as a sharded
 * optimiser needs them.
 */
public interface Collective extends AutoCloseable {
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
        public void sum(float[] buffer, long globalIndex) {}

        @Override
        public void reduceScatter(float[] buffer, long globalIndex) {}

        @Override
        public void allGather(float[] buffer, long globalIndex) {}

        @Override
        public int[] owned(int length, long globalIndex) {
          return length == 0 ? new int[0] : new int[] {0, length};
        }

        @Override
        public int stripe() {
          return 1 << 30;
        }
      };

  int rank();

  int worldSize();

  /** Replaces {@code buffer} by the element-wise sum over ranks. */
  default void sum(float[] buffer) {
    sum(buffer, 0);
  }

  /**
   * Replaces {@code buffer} by the element-wise sum over ranks, where the buffer holds elements
   * {@code [globalIndex, globalIndex + length)} of a longer vector reduced piece by piece. The
   * order in which an element's values are added may depend on its global index but on nothing
   * else, so reducing a vector in pieces (gradient buckets of any size) gives bitwise the result of
   * reducing it whole.
   */
  void sum(float[] buffer, long globalIndex);

  /**
   * The first half of {@link #sum}: afterwards the elements this rank {@link #owned owns} hold
   * their sum over ranks, added in the order {@link #sum} adds them (bitwise its result); the other
   * elements hold partial sums, to be ignored or overwritten by {@link #allGather}.
   */
  void reduceScatter(float[] buffer, long globalIndex);

  /**
   * The second half of {@link #sum}: every rank's owned elements are copied to the others, so every
   * rank ends with bitwise the same buffer. Elements are only copied, never added.
   */
  void allGather(float[] buffer, long globalIndex);

  /**
   * The local {@code [from, to)} ranges, flattened into one array, of the elements of a {@code
   * length}-element piece starting at {@code globalIndex} that this rank owns: after {@link
   * #reduceScatter} their sums are complete here. Ownership depends on the global index alone, so
   * the ranks' shares of a vector do not depend on how it is cut into pieces, and they partition
   * it.
   */
  int[] owned(int length, long globalIndex);

  /**
   * Elements per stripe: ownership ({@link #owned}) and the order of every element's sum are the
   * same across each aligned run of this many elements of the global vector.
   */
  int stripe();

  /** Leaves the group (closes connections); nothing for one rank. */
  @Override
  default void close() {}

  /**
   * Joins the group of {@code peers.size()} ranks with the backend {@code cluster.collective}
   * names. A GPU-native backend (NCCL) goes here beside the TCP ring; the trainer never asks which
   * it has.
   *
   * @param server this rank's listening socket, whose address the others were given
   * @param secret the run's shared secret, authenticating every connection
   */
  static Collective connect(
      ClusterConfig cluster,
      int rank,
      List<InetSocketAddress> peers,
      ServerSocket server,
      byte[] secret) {
    int timeoutMillis =
        (int) Math.min(Integer.MAX_VALUE, cluster.allreduceTimeoutSeconds() * 1000L);
    return switch (cluster.collective()) {
      case RING ->
          RingAllReduce.connect(
              rank, peers, server, secret, timeoutMillis, cluster.allreducePieceBytes());
    };
  }

  /** Whether this rank does work item {@code index} of a list shared round-robin over the ranks. */
  default boolean owns(int index) {
    return index % worldSize() == rank();
  }
}
