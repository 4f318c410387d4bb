package io.crossover.driver.bench;

import io.crossover.executor.allreduce.RingAllReduce;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A rank of {@code bench allreduce} in its own process. Protocol on stdin/stdout: prints its port;
 * reads the secret and every rank's port; then for each line "n repeats [sum|rs|ag|raw2|raw1]" runs
 * that many all-reduces (or reduce-scatters, all-gathers, or the raw traffic of a whole ring or of
 * one half) of n floats and prints "done".
 */
public final class AllReduceWorker {
  private AllReduceWorker() {}

  public static void main(String[] args) throws Exception {
    int rank = Integer.parseInt(args[0]);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try (ServerSocket server = RingAllReduce.listen(InetAddress.getLoopbackAddress())) {
      System.out.println(server.getLocalPort());
      System.out.flush();
      byte[] secret = HexFormat.of().parseHex(in.readLine().trim());
      List<InetSocketAddress> peers = new ArrayList<>();
      for (String port : in.readLine().trim().split(",")) {
        peers.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(port)));
      }
      try (RingAllReduce ring =
          RingAllReduce.connect(rank, peers, server, secret, 60_000, 1 << 20)) {
        for (String line; (line = in.readLine()) != null && !line.equals("quit"); ) {
          String[] parts = line.trim().split(" ");
          float[] buffer = new float[Integer.parseInt(parts[0])];
          String op = parts.length > 2 ? parts[2] : "sum";
          for (int r = 0; r < Integer.parseInt(parts[1]); r++) {
            run(ring, op, buffer);
          }
          System.out.println("done");
          System.out.flush();
        }
      }
    }
  }

  /** One collective named as the bench's protocol names it. */
  static void run(RingAllReduce ring, String op, float[] buffer) {
    switch (op) {
      case "sum" -> ring.sum(buffer);
      case "rs" -> ring.reduceScatter(buffer, 0);
      case "ag" -> ring.allGather(buffer, 0);
      // The same traffic without conversion or arithmetic: a whole ring, or one half.
      case "raw2" ->
          ring.rawExchange(2 * (ring.worldSize() - 1), 4L * buffer.length / ring.worldSize());
      case "raw1" -> ring.rawExchange(ring.worldSize() - 1, 4L * buffer.length / ring.worldSize());
      default -> throw new IllegalArgumentException("unknown collective " + op);
    }
  }
}
