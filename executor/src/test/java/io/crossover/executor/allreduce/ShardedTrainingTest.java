package io.crossover.executor.allreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.OptimConfig.Shard;
import io.crossover.data.config.TrainConfig.Attention;
import io.crossover.executor.TestModels;
import io.crossover.executor.checkpoint.Checkpoints;
import io.crossover.executor.model.Numerics;
import io.crossover.executor.model.Param;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Autoregressive;
import io.crossover.executor.objective.Batch;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.optim.AdamW;
import io.crossover.executor.optim.Optimizer;
import io.crossover.executor.precision.Precision;
import io.crossover.executor.train.StepPhases;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ZeRO-1 and ZeRO-2 against the unsharded optimiser, over a real loopback ring: several AdamW steps
 * of real models (clipped, weight-decayed, one step skipped for a rank's non-finite loss) leave
 * every rank with bitwise the parameters and gradient norms of {@code optim.shard=none}, at 2 and 3
 * ranks, FP32 and bf16, whatever the bucket size; and the sharded state really is 1/W.
 */
class ShardedTrainingTest {
  static final CrossoverConfig CONFIG =
      TestModels.config("optim.warmup-steps=0", "optim.grad-clip=0.5", "optim.weight-decay=0.1");
  static final int STEPS = 4;

  /** The step at which rank 1's loss is infinite: every rank must skip it. */
  static final int POISONED = 2;

  /** Backward passes one rank at a time: one gradient collector per JVM. */
  static final ReentrantLock BACKWARD = new ReentrantLock();

  record Outcome(float[] params, float[] norms, long stateElements, long hostBytes) {}

  static List<Outcome> train(int w, Precision precision, Shard shard, long bucketBytes)
      throws Exception {
    List<ServerSocket> servers = RingAllReduceTest.servers(w);
    ExecutorService pool = Executors.newFixedThreadPool(w);
    try {
      List<Future<Outcome>> ranks = new ArrayList<>();
      for (int r = 0; r < w; r++) {
        int rank = r;
        ranks.add(pool.submit(() -> rank(rank, servers, precision, shard, bucketBytes)));
      }
      List<Outcome> out = new ArrayList<>();
      for (Future<Outcome> f : ranks) {
        out.add(f.get(120, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
      for (ServerSocket s : servers) {
        s.close();
      }
    }
  }

  private static Outcome rank(
      int rank, List<ServerSocket> servers, Precision precision, Shard shard, long bucketBytes)
      throws Exception {
    Numerics numerics = new Numerics(Attention.MATERIALIZED, precision, Precision.FP32, false);
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(CONFIG.model(), 259, 16, m, numerics);
        RingAllReduce ring = RingAllReduceTestAccess.connect(rank, servers);
        BucketedSync sync =
            new BucketedSync(model.params(), model.segments(), ring, bucketBytes, shard);
        Optimizer adam =
            shard.sharded()
                // Odd-sized chunks: AdamW steps the shard in many pieces, the last a short one.
                ? new ShardedAdamW(CONFIG.optim(), model.params(), sync, ring, m, 4099)
                : new AdamW(CONFIG.optim(), model.params(), m)) {
      StepPhases step =
          new StepPhases(model, new Autoregressive(), adam, CONFIG.optim().gradClip());
      float[] norms = new float[STEPS];
      steps(rank, model, sync, step, 0, STEPS, norms);
      long state = 0;
      for (var a : adam.state().values()) {
        state += a.size();
      }
      return new Outcome(params(model), norms, state, sync.hostBytes());
    }
  }

  /** Trains steps {@code [from, to)} of rank {@code rank}, recording each step's norm. */
  static void steps(
      int rank,
      Transformer model,
      BucketedSync sync,
      StepPhases step,
      int from,
      int to,
      float[] norms) {
    NDManager m = model.params().get(0).array().getManager();
    Objective objective = new Autoregressive();
    for (int s = from; s < to; s++) {
      try (NDManager scratch = m.newSubManager()) {
        SplittableRandom random = new SplittableRandom(rank * 1000L + s);
        int[][] tokens = new int[2][16];
        for (int[] row : tokens) {
          for (int i = 0; i < row.length; i++) {
            row[i] = random.nextInt(256);
          }
        }
        Batch batch = objective.prepare(tokens, random, random);
        // Backward first, one rank at a time; then the buckets go, top segment first, as they
        // would during the last backward (that overlap is BucketedSyncTest's).
        float loss;
        BACKWARD.lock();
        try {
          loss = step.forwardBackward(scratch, batch);
        } finally {
          BACKWARD.unlock();
        }
        sync.begin(s, rank == 1 && s == POISONED ? Float.POSITIVE_INFINITY : loss);
        for (int segment = model.config().layers() + 1; segment >= 0; segment--) {
          sync.segmentDone(segment);
        }
        GradientSync.Result all = sync.finish();
        if (all.finite()) {
          norms[s] = step.clipAndUpdate(scratch, 1e-2, all.gradNorm());
        } else {
          step.zeroGradients();
          norms[s] = Float.NaN;
        }
      }
    }
  }

  static float[] params(Transformer model) {
    float[] out = new float[Math.toIntExact(model.parameterCount())];
    int at = 0;
    for (Param p : model.params()) {
      float[] values = p.array().toFloatArray();
      System.arraycopy(values, 0, out, at, values.length);
      at += values.length;
    }
    return out;
  }

  /**
   * Every rank writes its shard of a checkpoint, rank 0 completes it; fresh ranks that load it
   * continue bitwise as the ranks that wrote it. The shards are checksummed like every file, and an
   * unsharded optimiser is refused with the setting to keep.
   */
  @Test
  void aShardedCheckpointResumesBitwise(@TempDir java.nio.file.Path tmp) throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration()).getRawFileSystem();
    Path run = new Path(tmp.toUri());
    int w = 2;
    List<ServerSocket> servers = RingAllReduceTest.servers(w);
    ExecutorService pool = Executors.newFixedThreadPool(w);
    try {
      List<Future<float[][]>> ranks = new ArrayList<>();
      for (int r = 0; r < w; r++) {
        int rank = r;
        ranks.add(
            pool.submit(
                () -> {
                  try (NDManager m = NDManager.newBaseManager();
                      RingAllReduce ring = RingAllReduceTestAccess.connect(rank, servers)) {
                    float[] written = trainAround(m, ring, run, fs, true);
                    float[] resumed = trainAround(m, ring, run, fs, false);
                    return new float[][] {written, resumed};
                  }
                }));
      }
      for (int r = 0; r < w; r++) {
        float[][] out = ranks.get(r).get(120, TimeUnit.SECONDS);
        assertArrayEquals(out[0], out[1], "rank " + r + ": resumed bitwise");
      }
    } finally {
      pool.shutdownNow();
      for (ServerSocket s : servers) {
        s.close();
      }
    }
    Path dir = Checkpoints.latest(fs, run).orElseThrow();
    assertEquals("step-2", dir.getName());
    assertEquals(List.of(), Checkpoints.problems(fs, dir, false));
    Path shard = new Path(dir, ShardedAdamW.file(1, 2));
    assertTrue(fs.exists(new Path(dir, ShardedAdamW.file(0, 2))) && fs.exists(shard));
    assertFalse(fs.exists(new Path(dir, AdamW.FILE)), "no whole optimiser state");
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(CONFIG.model(), 259, 16, m);
        AdamW whole = new AdamW(CONFIG.optim(), model.params(), m)) {
      Exception e = assertThrows(Exception.class, () -> Checkpoints.load(fs, dir, model, whole));
      assertTrue(e.getMessage().contains("optim.shard"), e.getMessage());
    }
    byte[] bytes = Files.readAllBytes(java.nio.file.Path.of(shard.toUri()));
    bytes[bytes.length - 1] ^= 1;
    Files.write(java.nio.file.Path.of(shard.toUri()), bytes);
    assertEquals(
        List.of(ShardedAdamW.file(1, 2) + ": corrupt: SHA-256 differs from the one written"),
        Checkpoints.problems(fs, dir, false));
  }

  /**
   * A ZeRO-2 rank trains 4 steps; with {@code save} it checkpoints after step 2, otherwise it
   * starts from a differently seeded model and loads that checkpoint. Returns the parameters.
   */
  private static float[] trainAround(
      NDManager m, RingAllReduce ring, Path run, FileSystem fs, boolean save) throws Exception {
    int rank = ring.rank();
    try (NDManager own = m.newSubManager();
        Transformer model = new Transformer(CONFIG.model(), 259, save ? 16 : 99, own);
        BucketedSync sync =
            new BucketedSync(model.params(), model.segments(), ring, 4096, Shard.GRADIENTS);
        ShardedAdamW adam = new ShardedAdamW(CONFIG.optim(), model.params(), sync, ring, own)) {
      StepPhases step =
          new StepPhases(model, new Autoregressive(), adam, CONFIG.optim().gradClip());
      float[] norms = new float[STEPS];
      if (save) {
        steps(rank, model, sync, step, 0, 2, norms);
        Checkpoints.saveShard(fs, run, 2, adam);
        ring.sum(new float[1]);
        if (rank == 0) {
          Checkpoints.save(
              fs, run, new Checkpoints.State(2, adam.step(), 0, 16), model, adam, "{}");
        }
        ring.sum(new float[1]);
      } else {
        Path dir = Checkpoints.latest(fs, run).orElseThrow();
        assertEquals(2, Checkpoints.load(fs, dir, model, adam).step());
        assertEquals(2, adam.step());
      }
      steps(rank, model, sync, step, 2, STEPS, norms);
      return params(model);
    }
  }

  /**
   * Under ZeRO-2 backward waits for pooled buffers the communication thread gives back; a peer that
   * dies must fail the step (so Spark can retry the stage), not leave it waiting.
   */
  @Test
  void aDeadPeerFailsAZero2StepInsteadOfHangingIt() throws Exception {
    List<ServerSocket> servers = RingAllReduceTest.servers(2);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<?> dead =
          pool.submit(
              () -> {
                RingAllReduceTestAccess.connect(1, servers).close();
                return null;
              });
      Future<Exception> survivor =
          pool.submit(
              () -> {
                try (NDManager m = NDManager.newBaseManager();
                    Transformer model = new Transformer(CONFIG.model(), 259, 16, m);
                    RingAllReduce ring = RingAllReduceTestAccess.connect(0, servers);
                    BucketedSync sync =
                        new BucketedSync(
                            model.params(), model.segments(), ring, 4096, Shard.GRADIENTS);
                    ShardedAdamW adam =
                        new ShardedAdamW(CONFIG.optim(), model.params(), sync, ring, m)) {
                  dead.get();
                  StepPhases step = new StepPhases(model, new Autoregressive(), adam, 1.0);
                  steps(0, model, sync, step, 0, 1, new float[1]);
                  return null;
                } catch (Exception e) {
                  return e;
                }
              });
      Exception e = survivor.get(60, TimeUnit.SECONDS);
      assertTrue(e instanceof IllegalStateException, String.valueOf(e));
      assertTrue(e.getMessage().startsWith("rank 0 step 0: gradient"), e.getMessage());
    } finally {
      pool.shutdownNow();
      for (ServerSocket s : servers) {
        s.close();
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"2, FP32", "3, FP32", "2, BF16", "3, BF16"})
  void everyShardModeTrainsBitwiseAsTheUnshardedOptimizer(int w, Precision precision)
      throws Exception {
    List<Outcome> reference = train(w, precision, Shard.NONE, 1L << 30);
    float[] params = reference.get(0).params();
    float[] norms = reference.get(0).norms();
    assertTrue(Float.isNaN(norms[POISONED]), "the poisoned step is skipped");
    assertTrue(norms[0] > CONFIG.optim().gradClip(), "clipping is exercised: " + norms[0]);
    long parameters = params.length;
    for (Shard shard : Shard.values()) {
      for (long bucketBytes : BucketedSyncTest.BUCKETS) {
        List<Outcome> out =
            shard == Shard.NONE && bucketBytes == 1L << 30
                ? reference
                : train(w, precision, shard, bucketBytes);
        long state = 0;
        for (int r = 0; r < w; r++) {
          String where = shard + ", buckets of " + bucketBytes + ", rank " + r;
          assertArrayEquals(params, out.get(r).params(), where);
          assertArrayEquals(norms, out.get(r).norms(), where);
          state += out.get(r).stateElements();
        }
        // Two moments per parameter, over all ranks; one rank's share is 1/W of them.
        assertEquals((shard.sharded() ? 2 : 2L * w) * parameters, state, shard + " state");
        if (shard.sharded()) {
          for (Outcome o : out) {
            assertTrue(o.stateElements() < 2 * parameters * 2 / w, "a rank's shard is about 1/W");
          }
        }
        if (shard == Shard.GRADIENTS && bucketBytes == 4096) {
          // ZeRO-2 keeps its shard and a pool of two buckets, not the whole reduced gradient.
          assertTrue(
              out.get(0).hostBytes() < 4L * parameters * 2 / w,
              "host bytes " + out.get(0).hostBytes() + " for " + parameters + " parameters");
        }
      }
    }
  }
}
