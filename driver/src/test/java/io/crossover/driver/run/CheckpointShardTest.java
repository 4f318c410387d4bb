package io.crossover.driver.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.crossover.executor.allreduce.RingAllReduce;
import io.crossover.executor.allreduce.ShardedAdamW;
import io.crossover.executor.checkpoint.Checkpoints;
import io.crossover.executor.optim.Optimizer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ranks of a sharded run agree that every optimizer shard of a checkpoint is written before
 * rank 0 completes it: one rank that cannot write fails every rank with the same count, and no
 * checkpoint appears.
 */
class CheckpointShardTest {
  @TempDir Path tmp;

  @Test
  void aRankThatCannotWriteItsShardFailsEveryRankAndNoCheckpointIsMade() throws Exception {
    RunDir run = RunDir.open(tmp.toString(), RunDir.hadoopConf());
    // Rank 1's shard file cannot be created: a directory holds its name.
    Files.createDirectories(
        tmp.resolve("checkpoints/.step-5.tmp-shards").resolve(ShardedAdamW.file(1, 2)));
    List<ServerSocket> servers = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      servers.add(RingAllReduce.listen(InetAddress.getLoopbackAddress()));
    }
    List<InetSocketAddress> peers =
        servers.stream()
            .map(s -> new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()))
            .toList();
    byte[] secret = "checkpoint-shard-test-secret-32b".getBytes(StandardCharsets.UTF_8);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (NDManager m = NDManager.newBaseManager()) {
      List<Future<String>> ranks = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        int rank = r;
        ranks.add(
            pool.submit(
                () -> {
                  try (RingAllReduce ring =
                      RingAllReduce.connect(rank, peers, servers.get(rank), secret, 30_000, 4096)) {
                    run.checkpointShard(5, shard(m, rank), ring);
                    return "no failure";
                  } catch (RunDir.CheckpointFailure e) {
                    return e.getMessage();
                  }
                }));
      }
      for (int r = 0; r < 2; r++) {
        String message = ranks.get(r).get(60, TimeUnit.SECONDS);
        assertTrue(
            message.startsWith("cannot write checkpoint step-5 to ")
                && message.contains("1 rank(s) could not write their optimizer shard")
                && message.endsWith("there is no earlier checkpoint"),
            "rank " + r + ": " + message);
        assertEquals(r == 1, message.contains("(rank 1: "), message);
      }
      assertTrue(
          Checkpoints.latest(
                  FileSystem.getLocal(RunDir.hadoopConf()),
                  new org.apache.hadoop.fs.Path(tmp.toUri()))
              .isEmpty());
    } finally {
      pool.shutdownNow();
      for (ServerSocket s : servers) {
        s.close();
      }
    }
  }

  /** Rank {@code rank}'s shard of a two-rank optimiser, as a checkpoint sees it. */
  private static Optimizer shard(NDManager m, int rank) {
    NDArray moments = m.create(new float[] {rank, 1, 2});
    return new Optimizer() {
      @Override
      public long step() {
        return 5;
      }

      @Override
      public void restoreStep(long step) {}

      @Override
      public void update(double lr, float clipScale, NDManager scratch) {}

      @Override
      public Map<String, NDArray> state() {
        return Map.of("m", moments);
      }

      @Override
      public String stateFile() {
        return ShardedAdamW.file(rank, 2);
      }

      @Override
      public boolean sharded() {
        return true;
      }

      @Override
      public void close() {}
    };
  }
}
