package io.crossover.driver.bench;

import io.crossover.data.Json;
import io.crossover.data.config.ClusterConfig;
import io.crossover.data.config.ConfigLoader;
import io.crossover.driver.spark.SparkSessions;
import io.crossover.executor.allreduce.RingAllReduce;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import scala.reflect.ClassTag$;

/**
 * {@code crossover bench allreduce}: bus bandwidth of the ring all-reduce between separate
 * processes on this machine (2(W-1)/W x bytes / time), next to the raw throughput of one loopback
 * socket pair measured in the same run.
 */
public final class AllReduceBench {
  private final int ranks;
  private final List<Integer> sizes;
  private final int repeats;
  private final boolean json;
  private final int allGatherMb;

  /** The benchmark of these settings (the options of {@code crossover bench allreduce}). */
  public AllReduceBench(
      int ranks, List<Integer> sizes, int repeats, boolean json, int allGatherMb) {
    this.ranks = ranks;
    this.sizes = sizes;
    this.repeats = repeats;
    this.json = json;
    this.allGatherMb = allGatherMb;
  }

  /** Runs the benchmark: prints its table, and its figures as JSON when asked; returns 0. */
  public int run() throws Exception {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    List<Process> workers = new ArrayList<>();
    List<PrintWriter> toWorkers = new ArrayList<>();
    List<BufferedReader> fromWorkers = new ArrayList<>();
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("ranks", ranks);
    try (ServerSocket server = RingAllReduce.listen(InetAddress.getLoopbackAddress())) {
      List<String> ports = new ArrayList<>(List.of(Integer.toString(server.getLocalPort())));
      String java = ProcessHandle.current().info().command().orElse("java");
      for (int r = 1; r < ranks; r++) {
        Process p =
            new ProcessBuilder(
                    java,
                    "-Xmx1g",
                    "-cp",
                    System.getProperty("java.class.path"),
                    AllReduceWorker.class.getName(),
                    Integer.toString(r))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        workers.add(p);
        toWorkers.add(new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8));
        BufferedReader reader =
            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        fromWorkers.add(reader);
        ports.add(reader.readLine().trim());
      }
      for (PrintWriter w : toWorkers) {
        w.println(HexFormat.of().formatHex(secret));
        w.println(String.join(",", ports));
      }
      List<InetSocketAddress> peers = new ArrayList<>();
      for (String port : ports) {
        peers.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(port)));
      }
      // Best of three: loopback throughput swings with whatever else the machine does.
      double raw = Math.max(rawTcp(64 << 20), Math.max(rawTcp(64 << 20), rawTcp(64 << 20)));
      f.put("raw_tcp_mb_per_s", raw);
      System.out.printf(
          Locale.ROOT, "raw loopback TCP, one socket pair, 64 MB, best of 3: %.0f MB/s%n", raw);
      System.out.printf(
          Locale.ROOT,
          "%-15s %-8s %14s %16s %10s %14s%n",
          "collective",
          "MB",
          "time (ms)",
          "bus MB/s",
          "vs raw",
          "vs exchange");
      try (RingAllReduce ring = RingAllReduce.connect(0, peers, server, secret, 60_000, 1 << 20)) {
        for (int mb : sizes) {
          int n = (mb << 20) / 4;
          float[] buffer = new float[n];
          // Interleaved rounds: each collective and its floor (the same traffic over the same
          // sockets with no conversion or arithmetic) alike exposed to the machine's drift.
          Map<String, List<Double>> times = new LinkedHashMap<>();
          for (int round = 0; round < ROUNDS; round++) {
            for (String op : new String[] {"raw2", "sum", "raw1", "rs", "ag"}) {
              times
                  .computeIfAbsent(op, k -> new ArrayList<>())
                  .add(seconds(ring, op, buffer, toWorkers, fromWorkers));
            }
          }
          double fullFloor = median(times.get("raw2"));
          double halfFloor = median(times.get("raw1"));
          f.put("exchange_" + mb + "mb_ms", fullFloor * 1e3);
          f.put("exchange_half_" + mb + "mb_ms", halfFloor * 1e3);
          for (String[] op :
              new String[][] {
                {"sum", "allreduce", "2"}, {"rs", "reducescatter", "1"}, {"ag", "allgather", "1"}
              }) {
            double seconds = median(times.get(op[0]));
            double floor = op[2].equals("2") ? fullFloor : halfFloor;
            // Bus traffic per rank: an all-reduce moves 2 (W-1)/W of the buffer, each half (W-1)/W.
            double bus =
                Integer.parseInt(op[2]) * (ranks - 1.0) / ranks * (mb << 20) / seconds / 1e6;
            String key = op[1] + "_" + mb + "mb";
            f.put(key + "_ms", seconds * 1e3);
            f.put(key + "_bus_mb_per_s", bus);
            f.put(key + "_vs_raw", bus / raw);
            f.put(key + "_vs_exchange", floor / seconds);
            System.out.printf(
                Locale.ROOT,
                "%-15s %-8d %14.1f %16.0f %10.3f %14.3f%n",
                op[1].equals("allreduce")
                    ? "all-reduce"
                    : op[1].equals("reducescatter") ? "reduce-scatter" : "all-gather",
                mb,
                seconds * 1e3,
                bus,
                bus / raw,
                floor / seconds);
          }
        }
      }
      for (PrintWriter w : toWorkers) {
        w.println("quit");
      }
    } finally {
      for (Process p : workers) {
        p.waitFor(10, TimeUnit.SECONDS);
        p.destroyForcibly();
      }
    }
    if (allGatherMb > 0) {
      double seconds = allGather((allGatherMb << 20) / 4);
      f.put("allgather_" + allGatherMb + "mb_ms", seconds * 1e3);
      Object ring = f.get("allreduce_" + allGatherMb + "mb_ms");
      System.out.printf(
          Locale.ROOT,
          "allGather-based reduce of %d MB (Spark barrier, local[%d]): %.1f ms per call%s%n",
          allGatherMb,
          ranks,
          seconds * 1e3,
          ring == null
              ? ""
              : String.format(Locale.ROOT, " (%.0fx the ring)", seconds * 1e3 / (double) ring));
    }
    if (json) {
      System.out.println(Json.line(f));
    }
    return 0;
  }

  /** Mean seconds per allGather-based reduction of {@code floats} floats over W barrier tasks. */
  private double allGather(int floats) {
    ClusterConfig cluster =
        ConfigLoader.load(null, List.of("cluster.master=local[" + ranks + "]")).cluster();
    SparkSession spark = SparkSessions.create(cluster, "bench allgather");
    try {
      List<Integer> tasks = new ArrayList<>();
      for (int r = 0; r < ranks; r++) {
        tasks.add(r);
      }
      List<String> seconds =
          JavaSparkContext.fromSparkContext(spark.sparkContext())
              .parallelize(tasks, ranks)
              .rdd()
              .barrier()
              .mapPartitions(
                  new AllGatherReduce(floats, 3), false, ClassTag$.MODULE$.apply(String.class))
              .toJavaRDD()
              .collect();
      return seconds.stream().mapToDouble(Double::parseDouble).max().orElse(Double.NaN);
    } finally {
      spark.stop();
    }
  }

  /** Collectives of each kind and their floors are timed in this many interleaved rounds. */
  private static final int ROUNDS = 3;

  /**
   * Median-ready seconds of one collective {@code op} on every rank: {@code repeats} calls timed
   * here after one warm-up, the workers running the same.
   */
  private double seconds(
      RingAllReduce ring,
      String op,
      float[] buffer,
      List<PrintWriter> toWorkers,
      List<BufferedReader> fromWorkers)
      throws IOException {
    for (PrintWriter w : toWorkers) {
      w.println(buffer.length + " " + (repeats + 1) + " " + op);
    }
    AllReduceWorker.run(ring, op, buffer); // warm-up
    long start = System.nanoTime();
    for (int r = 0; r < repeats; r++) {
      AllReduceWorker.run(ring, op, buffer);
    }
    double seconds = (System.nanoTime() - start) / 1e9 / repeats;
    for (BufferedReader reader : fromWorkers) {
      reader.readLine();
    }
    return seconds;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  /** MB/s of one loopback socket pair streaming {@code bytes} in 1 MB writes (in this process). */
  private static double rawTcp(int bytes) throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread sender =
          new Thread(
              () -> {
                try (Socket s =
                        new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                    DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
                  byte[] chunk = new byte[1 << 20];
                  for (int sent = 0; sent < bytes; sent += chunk.length) {
                    out.write(chunk);
                  }
                  out.flush();
                  s.getInputStream().read();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      sender.start();
      try (Socket s = server.accept();
          DataInputStream in = new DataInputStream(s.getInputStream())) {
        byte[] chunk = new byte[1 << 20];
        long start = System.nanoTime();
        for (int received = 0; received < bytes; received += chunk.length) {
          in.readFully(chunk);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        s.getOutputStream().write(1);
        sender.join();
        return bytes / seconds / 1e6;
      }
    }
  }
}
