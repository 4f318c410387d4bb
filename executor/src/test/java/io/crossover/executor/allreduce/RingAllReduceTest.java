package io.crossover.executor.allreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The ring between real sockets on loopback, one thread per rank. */
class RingAllReduceTest {
  static final byte[] SECRET = "run-secret-0123456789".getBytes(StandardCharsets.UTF_8);

  static List<ServerSocket> servers(int w) throws Exception {
    List<ServerSocket> out = new ArrayList<>();
    for (int r = 0; r < w; r++) {
      out.add(new ServerSocket(0, 16, InetAddress.getLoopbackAddress()));
    }
    return out;
  }

  static List<InetSocketAddress> addresses(List<ServerSocket> servers) {
    return servers.stream()
        .map(s -> new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()))
        .toList();
  }

  @ParameterizedTest
  @CsvSource({"2, 1000, 64", "3, 1001, 100", "4, 100000, 4096", "4, 3, 16", "2, 1, 16"})
  void everyRankEndsWithBitwiseTheSameSum(int w, int n, int pieceBytes) throws Exception {
    List<ServerSocket> servers = servers(w);
    float[][] buffers = new float[w][n];
    double[] expected = new double[n];
    SplittableRandom random = new SplittableRandom(w * 31L + n);
    for (int r = 0; r < w; r++) {
      for (int i = 0; i < n; i++) {
        buffers[r][i] = (float) random.nextGaussian();
        expected[i] += buffers[r][i];
      }
    }
    ExecutorService pool = Executors.newFixedThreadPool(w);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int r = 0; r < w; r++) {
        int rank = r;
        done.add(
            pool.submit(
                () -> {
                  try (RingAllReduce ring =
                      RingAllReduce.connect(
                          rank,
                          addresses(servers),
                          servers.get(rank),
                          SECRET,
                          10_000,
                          pieceBytes)) {
                    ring.sum(buffers[rank]);
                    ring.sum(buffers[rank]); // twice: the connections are reusable
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
      for (ServerSocket s : servers) {
        s.close();
      }
    }
    for (int r = 1; r < w; r++) {
      assertArrayEquals(buffers[0], buffers[r], "rank " + r + " differs from rank 0");
    }
    for (int i = 0; i < n; i++) {
      assertEquals(w * expected[i], buffers[0][i], 1e-3 + 1e-5 * Math.abs(w * expected[i]));
    }
  }

  @Test
  void aConnectionWithTheWrongSecretIsRefusedAndTheRingStillForms() throws Exception {
    List<ServerSocket> servers = servers(2);
    // An impostor knocks on rank 0 first, with a wrong secret.
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      Future<String> impostor =
          pool.submit(
              () -> {
                try (Socket s =
                    new Socket(InetAddress.getLoopbackAddress(), servers.get(0).getLocalPort())) {
                  s.setSoTimeout(5_000);
                  PeerAuth.handshake(
                      new DataInputStream(s.getInputStream()),
                      new DataOutputStream(s.getOutputStream()),
                      "wrong".getBytes(StandardCharsets.UTF_8),
                      1,
                      0);
                  return "accepted";
                } catch (Exception e) {
                  return "refused: " + e.getMessage();
                }
              });
      Thread.sleep(200);
      float[][] buffers = {{1, 2, 3}, {10, 20, 30}};
      List<Future<?>> ranks = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        int rank = r;
        ranks.add(
            pool.submit(
                () -> {
                  try (RingAllReduce ring =
                      RingAllReduce.connect(
                          rank, addresses(servers), servers.get(rank), SECRET, 10_000, 64)) {
                    ring.sum(buffers[rank]);
                  }
                  return null;
                }));
      }
      for (Future<?> f : ranks) {
        f.get(30, TimeUnit.SECONDS);
      }
      assertTrue(impostor.get(10, TimeUnit.SECONDS).startsWith("refused"), "the impostor got in");
      assertArrayEquals(new float[] {11, 22, 33}, buffers[0]);
      assertArrayEquals(new float[] {11, 22, 33}, buffers[1]);
    } finally {
      pool.shutdownNow();
      for (ServerSocket s : servers) {
        s.close();
      }
    }
  }

  @Test
  void aRankThatStopsRespondingFailsTheOthersWithinTheTimeout() throws Exception {
    List<ServerSocket> servers = servers(2);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      // Rank 1 joins the ring and then never takes part in a reduction.
      Future<RingAllReduce> silent =
          pool.submit(
              () ->
                  RingAllReduce.connect(1, addresses(servers), servers.get(1), SECRET, 10_000, 64));
      RingAllReduce ring =
          RingAllReduce.connect(0, addresses(servers), servers.get(0), SECRET, 700, 64);
      long start = System.nanoTime();
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> ring.sum(new float[1000]));
      double seconds = (System.nanoTime() - start) / 1e9;
      assertTrue(e.getMessage().contains("no data from rank 1 within"), e.getMessage());
      assertTrue(seconds < 5, "failed after " + seconds + " s, not hung");
      ring.close();
      silent.get(10, TimeUnit.SECONDS).close();
    } finally {
      pool.shutdownNow();
      for (ServerSocket s : servers) {
        s.close();
      }
    }
  }

  @Test
  void aPeerThatNeverComesFailsTheJoin() throws Exception {
    List<ServerSocket> servers = servers(2);
    try {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> RingAllReduce.connect(0, addresses(servers), servers.get(0), SECRET, 500, 64));
      assertTrue(
          e.getMessage().startsWith("rank 0 cannot join the all-reduce ring of 2"), e.getMessage());
    } finally {
      for (ServerSocket s : servers) {
        s.close();
      }
    }
  }
}
