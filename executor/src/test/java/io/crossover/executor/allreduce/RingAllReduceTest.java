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
import java.util.Arrays;
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
      out.add(RingAllReduce.listen(InetAddress.getLoopbackAddress()));
    }
    return out;
  }

  static List<InetSocketAddress> addresses(List<ServerSocket> servers) {
    return servers.stream()
        .map(s -> new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()))
        .toList();
  }

  @ParameterizedTest
  @CsvSource({
    "2, 1000, 64",
    "3, 1001, 100",
    "4, 100000, 4096",
    "4, 3, 16",
    "2, 1, 16",
    "3, 200000, 1048576",
    "2, 100003, 262144"
  })
  void everyRankEndsWithBitwiseTheSameSum(int w, int n, int pieceBytes) throws Exception {
    float[][] buffers = new float[w][n];
    double[] expected = new double[n];
    SplittableRandom random = new SplittableRandom(w * 31L + n);
    for (int r = 0; r < w; r++) {
      for (int i = 0; i < n; i++) {
        buffers[r][i] = (float) random.nextGaussian();
        expected[i] += buffers[r][i];
      }
    }
    ring(
        w,
        pieceBytes,
        (rank, ring) -> {
          ring.sum(buffers[rank]);
          ring.sum(buffers[rank]); // twice: the connections are reusable
        });
    for (int r = 1; r < w; r++) {
      assertArrayEquals(buffers[0], buffers[r], "rank " + r + " differs from rank 0");
    }
    for (int i = 0; i < n; i++) {
      assertEquals(w * expected[i], buffers[0][i], 1e-3 + 1e-5 * Math.abs(w * expected[i]));
    }
  }

  /**
   * Reduce-scatter then all-gather, piece by piece at random cuts (as buckets of any size), is
   * bitwise the whole vector's sum on every rank; after the reduce-scatter alone each rank's owned
   * elements already hold it; the owned elements of the ranks partition the vector whatever the
   * cuts; and the all-gather only copies the owners' values.
   */
  @ParameterizedTest
  @CsvSource({"2, 70000, 4096", "3, 100003, 1000", "3, 5, 16"})
  void theTwoHalvesInPiecesAreBitwiseTheSumOfTheWhole(int w, int n, int pieceBytes)
      throws Exception {
    float[][] input = new float[w][n];
    SplittableRandom random = new SplittableRandom(w * 7L + n);
    for (int r = 0; r < w; r++) {
      for (int i = 0; i < n; i++) {
        input[r][i] = (float) random.nextGaussian();
      }
    }
    float[][] whole = clone(input);
    float[][] scattered = clone(input);
    float[][] halves = clone(input);
    int[] owners = new int[n];
    Arrays.fill(owners, -1);
    List<int[]> cuts = new ArrayList<>();
    for (int from = 0; from < n; ) {
      int to = Math.min(n, from + 1 + random.nextInt(Math.max(1, n / 3)));
      cuts.add(new int[] {from, to});
      from = to;
    }
    ring(
        w,
        pieceBytes,
        (rank, ring) -> {
          ring.sum(whole[rank]);
          for (int[] c : cuts) {
            float[] piece = Arrays.copyOfRange(scattered[rank], c[0], c[1]);
            ring.reduceScatter(piece, c[0]);
            System.arraycopy(piece, 0, scattered[rank], c[0], piece.length);
            int[] mine = ring.owned(piece.length, c[0]);
            synchronized (owners) {
              for (int i = 0; i < mine.length; i += 2) {
                for (int at = mine[i]; at < mine[i + 1]; at++) {
                  assertEquals(-1, owners[c[0] + at], "element " + (c[0] + at) + " owned twice");
                  owners[c[0] + at] = rank;
                }
              }
            }
            ring.allGather(piece, c[0]);
            System.arraycopy(piece, 0, halves[rank], c[0], piece.length);
          }
        });
    for (int i = 0; i < n; i++) {
      assertTrue(owners[i] >= 0, "element " + i + " owned by no rank");
      assertEquals(
          Float.floatToRawIntBits(whole[0][i]),
          Float.floatToRawIntBits(scattered[owners[i]][i]),
          "element " + i + " after reduce-scatter on its owner");
    }
    for (int r = 0; r < w; r++) {
      assertArrayEquals(whole[0], whole[r], "sum, rank " + r);
      assertArrayEquals(whole[0], halves[r], "reduce-scatter + all-gather, rank " + r);
    }
  }

  private static float[][] clone(float[][] a) {
    float[][] out = new float[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i].clone();
    }
    return out;
  }

  interface RankBody {
    void run(int rank, RingAllReduce ring) throws Exception;
  }

  /** Runs {@code body} on every rank of a loopback ring of {@code w}, one thread per rank. */
  static void ring(int w, int pieceBytes, RankBody body) throws Exception {
    List<ServerSocket> servers = servers(w);
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
                    body.run(rank, ring);
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

  /** What a test does with a ring of two: rank 0 as the test drives it, rank 1 idle. */
  interface PairBody {
    void run(RingAllReduce zero, RingAllReduce one) throws Exception;
  }

  /**
   * A loopback ring of two whose rank 1 takes part in nothing unless {@code body} makes it; rank 0
   * waits {@code timeoutMillis} for data. Both ranks and the sockets are closed afterwards.
   */
  static void pair(int timeoutMillis, PairBody body) throws Exception {
    List<ServerSocket> servers = servers(2);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<RingAllReduce> joining =
          pool.submit(
              () ->
                  RingAllReduce.connect(1, addresses(servers), servers.get(1), SECRET, 10_000, 64));
      try (RingAllReduce zero =
              RingAllReduce.connect(
                  0, addresses(servers), servers.get(0), SECRET, timeoutMillis, 64);
          RingAllReduce one = joining.get(10, TimeUnit.SECONDS)) {
        body.run(zero, one);
      }
    } finally {
      pool.shutdownNow();
      for (ServerSocket s : servers) {
        s.close();
      }
    }
  }

  @Test
  void aRankThatStopsRespondingFailsTheOthersWithinTheTimeout() throws Exception {
    // Rank 1 joins the ring and then never takes part in a reduction.
    pair(
        700,
        (ring, silent) -> {
          long start = System.nanoTime();
          IllegalStateException e =
              assertThrows(IllegalStateException.class, () -> ring.sum(new float[1000]));
          double seconds = (System.nanoTime() - start) / 1e9;
          assertTrue(e.getMessage().contains("no data from rank 1 within"), e.getMessage());
          assertTrue(seconds < 5, "failed after " + seconds + " s, not hung");
        });
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

  @Test
  void aListeningSocketWithoutAChannelIsRefusedNamingTheFactory() throws Exception {
    try (ServerSocket plain = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> RingAllReduce.connect(0, List.of(), plain, SECRET, 500, 64));
      assertTrue(e.getMessage().contains("RingAllReduce.listen"), e.getMessage());
    }
  }

  @Test
  void aPeerThatClosesItsConnectionFailsTheStepAtOnce() throws Exception {
    pair(
        30_000,
        (ring, leaving) -> {
          leaving.close();
          long start = System.nanoTime();
          RuntimeException e =
              assertThrows(RuntimeException.class, () -> ring.sum(new float[1000]));
          double seconds = (System.nanoTime() - start) / 1e9;
          assertTrue(e.getMessage().startsWith("rank 0: all-reduce failed"), e.getMessage());
          assertTrue(seconds < 10, "failed after " + seconds + " s instead of at once");
        });
  }

  @Test
  void aThreadInterruptedInAnExchangeStopsAtOnceInsteadOfSpinning() throws Exception {
    pair(
        30_000,
        (ring, silent) -> {
          ExecutorService one = Executors.newSingleThreadExecutor();
          try {
            Future<?> summing = one.submit(() -> ring.sum(new float[1000]));
            Thread.sleep(300);
            summing.cancel(true);
            // The interrupted exchange ends well before the 30 s timeout and frees its thread.
            assertEquals("free", one.submit(() -> "free").get(5, TimeUnit.SECONDS));
          } finally {
            one.shutdownNow();
          }
        });
  }
}
