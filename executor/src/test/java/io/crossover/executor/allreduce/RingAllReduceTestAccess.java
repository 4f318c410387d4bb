package io.crossover.executor.allreduce;

import java.net.ServerSocket;
import java.util.List;

/** Lets tests in other packages form a loopback ring. */
public final class RingAllReduceTestAccess {
  private RingAllReduceTestAccess() {}

  public static List<ServerSocket> servers(int w) throws Exception {
    return RingAllReduceTest.servers(w);
  }

  public static RingAllReduce connect(int rank, List<ServerSocket> servers) throws Exception {
    return RingAllReduce.connect(
        rank,
        RingAllReduceTest.addresses(servers),
        servers.get(rank),
        RingAllReduceTest.SECRET,
        30_000,
        4096);
  }
}
