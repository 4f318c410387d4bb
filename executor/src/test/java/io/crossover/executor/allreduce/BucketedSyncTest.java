package io.crossover.executor.allreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.OptimConfig.Shard;
import io.crossover.executor.TestGrads;
import io.crossover.executor.TestModels;
import io.crossover.executor.model.Numerics;
import io.crossover.executor.model.Param;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Autoregressive;
import io.crossover.executor.objective.Batch;
import io.crossover.executor.optim.AdamW;
import io.crossover.executor.train.StepPhases;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ranks with real models over a real ring: gradients come back averaged and bitwise equal on every
 * rank and for every bucket size (the flat reduction is one bucket), a non-finite loss or gradient
 * on one rank makes every rank skip, and buckets leave while backward is still running.
 */
class BucketedSyncTest {
  static final CrossoverConfig CONFIG = TestModels.config("optim.warmup-steps=0");

  /** 4 KiB buckets split every matrix; 64 KiB ones hold several small tensors; 1 GiB is flat. */
  static final long[] BUCKETS = {4096, 64 * 1024, 1L << 30};

  record Outcome(GradientSync.Result result, float[] gradients) {}

  /**
   * Gives each of {@code w} ranks its own batch, backward, then one bucketed sync of {@code
   * bucketBytes}; returns each rank's verdict and gradients, and (last) the gradients before.
   */
  static List<Outcome> sync(int w, long bucketBytes, float[] losses, int poisonRank)
      throws Exception {
    List<ServerSocket> servers = RingAllReduceTest.servers(w);
    ExecutorService pool = Executors.newFixedThreadPool(w);
    try (NDManager m = NDManager.newBaseManager()) {
      Transformer[] models = new Transformer[w];
      List<Outcome> out = new ArrayList<>();
      List<float[]> before = new ArrayList<>();
      for (int r = 0; r < w; r++) {
        models[r] = new Transformer(CONFIG.model(), 259, 16, m);
        StepPhases step =
            new StepPhases(
                models[r],
                new Autoregressive(),
                new AdamW(CONFIG.optim(), models[r].params(), m),
                1.0);
        int[][] tokens = new int[2][16];
        SplittableRandom random = new SplittableRandom(r);
        for (int[] row : tokens) {
          for (int i = 0; i < row.length; i++) {
            row[i] = random.nextInt(256);
          }
        }
        Batch batch = new Autoregressive().prepare(tokens, random, random);
        // Backward passes one after the other: one gradient collector per JVM.
        try (NDManager scratch = m.newSubManager()) {
          step.forwardBackward(scratch, batch);
        }
        if (r == poisonRank) {
          try (NDArray g = models[r].params().get(3).array().getGradient()) {
            g.muli(Float.NaN);
          }
        }
        before.add(TestGrads.flat(models[r]));
      }
      List<Future<GradientSync.Result>> verdicts = new ArrayList<>();
      for (int r = 0; r < w; r++) {
        int rank = r;
        verdicts.add(
            pool.submit(
                () -> {
                  try (RingAllReduce ring = RingAllReduceTestAccess.connect(rank, servers);
                      BucketedSync sync =
                          new BucketedSync(
                              models[rank].params(), models[rank].segments(), ring, bucketBytes)) {
                    sync.begin(7, losses[rank]);
                    for (int s = models[rank].config().layers() + 1; s >= 0; s--) {
                      sync.segmentDone(s);
                    }
                    return sync.finish();
                  }
                }));
      }
      for (int r = 0; r < w; r++) {
        out.add(new Outcome(verdicts.get(r).get(60, TimeUnit.SECONDS), TestGrads.flat(models[r])));
      }
      float[] sum = new float[before.get(0).length];
      for (float[] b : before) {
        for (int i = 0; i < sum.length; i++) {
          sum[i] += b[i] / w;
        }
      }
      out.add(new Outcome(null, sum));
      return out;
    } finally {
      pool.shutdownNow();
      for (ServerSocket s : servers) {
        s.close();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3})
  void everyBucketSizeGivesTheFlatAverageBitwiseOnEveryRank(int w) throws Exception {
    float[] losses = {2.5f, 3.5f, 4.0f};
    List<Outcome> flat = sync(w, BUCKETS[BUCKETS.length - 1], losses, -1);
    float[] reference = flat.get(0).gradients();
    float[] expected = flat.get(w).gradients();
    for (int i = 0; i < reference.length; i++) {
      assertEquals(
          expected[i], reference[i], 1e-6f + 1e-5f * Math.abs(expected[i]), "element " + i);
    }
    for (long bucketBytes : BUCKETS) {
      List<Outcome> out =
          bucketBytes == BUCKETS[BUCKETS.length - 1] ? flat : sync(w, bucketBytes, losses, -1);
      double meanLoss = 0;
      for (int r = 0; r < w; r++) {
        meanLoss += losses[r] / w;
      }
      for (int r = 0; r < w; r++) {
        assertTrue(out.get(r).result().finite());
        assertEquals(meanLoss, out.get(r).result().meanLoss(), 1e-6, "the logged loss is the mean");
        assertArrayEquals(
            reference, out.get(r).gradients(), "rank " + r + ", buckets of " + bucketBytes);
      }
    }
  }

  @Test
  void aNonFiniteLossOnOneRankMakesEveryRankSkip() throws Exception {
    List<Outcome> out = sync(2, 4096, new float[] {1f, Float.POSITIVE_INFINITY}, -1);
    assertFalse(
        out.get(0).result().finite(), "rank 0 must learn that rank 1's loss was not finite");
    assertFalse(out.get(1).result().finite());
  }

  @Test
  void aNonFiniteGradientOnOneRankMakesEveryRankSkip() throws Exception {
    List<Outcome> out = sync(2, 4096, new float[] {1f, 1f}, 1);
    assertFalse(out.get(0).result().finite());
    assertFalse(out.get(1).result().finite());
  }

  /**
   * ZeRO-2 frees a parameter's device gradient during the last micro-step's backward as soon as its
   * last bucket is copied out: after each segment only parameters in buckets still to go hold one,
   * none after the step; the next step allocates them afresh. Its reduced gradients are bitwise
   * those of {@code none}, which keeps every parameter's gradient: with kept or recomputed blocks,
   * tied or untied embeddings, one forward pass per step or two micro-steps.
   */
  @ParameterizedTest
  @ValueSource(strings = {"kept", "recomputed", "tied", "micro-steps"})
  void zero2FreesEachDeviceGradientOnceItsBucketIsCopied(String setting) {
    float[][] none = zero2Steps(setting, Shard.NONE);
    float[][] zero2 = zero2Steps(setting, Shard.GRADIENTS);
    for (int s = 0; s < none.length; s++) {
      assertArrayEquals(none[s], zero2[s], setting + ", step " + s);
    }
    assertArrayEquals(zero2[0], zero2[1], "a fresh gradient, not added to an old one");
  }

  /** Two steps on one batch (no update between them); each step's reduced gradient. */
  private static float[][] zero2Steps(String setting, Shard shard) {
    CrossoverConfig c =
        setting.equals("tied") ? TestModels.config("model.tie-embeddings=true") : CONFIG;
    Numerics numerics =
        new Numerics(
            Numerics.DEFAULT.attention(),
            Numerics.DEFAULT.train(),
            Numerics.DEFAULT.eval(),
            setting.equals("recomputed"));
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(c.model(), 259, 16, m, numerics);
        AdamW adam = new AdamW(c.optim(), model.params(), m);
        BucketedSync buckets =
            new BucketedSync(model.params(), model.segments(), Collective.SINGLE, 4096, shard)) {
      List<Param> params = model.params();
      // The segment after which each parameter's last bucket leaves.
      int[] leaves = new int[params.size()];
      for (BucketPlan.Bucket b : buckets.plan().buckets()) {
        for (BucketPlan.Piece piece : b.pieces()) {
          leaves[piece.param()] = b.readyAfter();
        }
      }
      List<Integer> held = new ArrayList<>();
      GradientSync watching =
          afterEachSegment(
              buckets,
              segment -> {
                int holding = 0;
                for (int p = 0; p < params.size(); p++) {
                  if (hasGradient(params.get(p))) {
                    holding++;
                    assertTrue(
                        shard == Shard.NONE || leaves[p] < segment,
                        params.get(p).name()
                            + " still holds its gradient after segment "
                            + segment);
                  }
                }
                held.add(holding);
              });
      int microBatch = setting.equals("micro-steps") ? 1 : 0;
      StepPhases step = new StepPhases(model, new Autoregressive(), adam, 1.0, microBatch);
      SplittableRandom random = new SplittableRandom(1);
      int[][] tokens = new int[2][16];
      for (int[] row : tokens) {
        for (int i = 0; i < row.length; i++) {
          row[i] = random.nextInt(256);
        }
      }
      Batch batch = new Autoregressive().prepare(tokens, random, null);
      float[][] reduced = new float[2][];
      for (int s = 0; s < 2; s++) {
        try (NDManager scratch = m.newSubManager()) {
          step.accumulate(scratch, batch, s, watching);
          assertTrue(watching.finish().finite());
        }
        long after = params.stream().filter(BucketedSyncTest::hasGradient).count();
        assertEquals(shard == Shard.NONE ? params.size() : 0, after, shard + " after step " + s);
        reduced[s] =
            shard == Shard.NONE
                ? inPlanOrder(buckets.plan(), params, TestGrads.flat(model))
                : buckets.ownedGradients().clone();
        step.zeroGradients();
      }
      if (shard == Shard.GRADIENTS) {
        assertTrue(
            held.stream().allMatch(n -> n < params.size()),
            "never every parameter's gradient at once: " + held);
        // The unsharded optimiser cannot follow ZeRO-2: it is refused, not fed zeros.
        try (NDManager scratch = m.newSubManager()) {
          Exception e =
              assertThrows(IllegalStateException.class, () -> adam.update(1e-3, 1f, scratch));
          assertTrue(e.getMessage().startsWith(params.get(0).name()), e.getMessage());
        }
      }
      return reduced;
    }
  }

  /** Gradients in parameter order, laid out as the buckets hold them (one rank owns them all). */
  private static float[] inPlanOrder(BucketPlan plan, List<Param> params, float[] flat) {
    long[] offset = new long[params.size()];
    for (int p = 1; p < params.size(); p++) {
      offset[p] = offset[p - 1] + params.get(p - 1).size();
    }
    float[] out = new float[flat.length];
    int at = 0;
    for (BucketPlan.Bucket b : plan.buckets()) {
      for (BucketPlan.Piece piece : b.pieces()) {
        System.arraycopy(
            flat,
            Math.toIntExact(offset[piece.param()] + piece.from()),
            out,
            at + piece.at(),
            piece.length());
      }
      at += b.pieces().stream().mapToInt(BucketPlan.Piece::length).sum();
    }
    return out;
  }

  private static boolean hasGradient(Param p) {
    try (NDArray g = JniUtils.getGradient((PtNDArray) p.array())) {
      return g != null;
    }
  }

  /** {@code buckets} sending by segments, with {@code check} run after each segment's send. */
  private static GradientSync afterEachSegment(BucketedSync buckets, IntConsumer check) {
    return new GradientSync() {
      @Override
      public boolean bySegments() {
        return true;
      }

      @Override
      public void begin(long step, float loss) {
        buckets.begin(step, loss);
      }

      @Override
      public void segmentDone(int segment) {
        buckets.segmentDone(segment);
        check.accept(segment);
      }

      @Override
      public Result finish() {
        return buckets.finish();
      }
    };
  }

  private static int sent(List<Integer> doneAtSend) {
    synchronized (doneAtSend) {
      return doneAtSend.size();
    }
  }

  /** The first bucket's all-reduce starts before backward has finished the lower segments. */
  @Test
  void bucketsLeaveWhileBackwardIsStillRunning() {
    AtomicInteger segmentsDone = new AtomicInteger();
    List<Integer> doneAtSend = new ArrayList<>();
    Collective recording =
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
          public void sum(float[] buffer, long globalIndex) {
            synchronized (doneAtSend) {
              doneAtSend.add(segmentsDone.get());
            }
          }

          @Override
          public void reduceScatter(float[] buffer, long globalIndex) {}

          @Override
          public void allGather(float[] buffer, long globalIndex) {}

          @Override
          public int[] owned(int length, long globalIndex) {
            return Collective.SINGLE.owned(length, globalIndex);
          }

          @Override
          public int stripe() {
            return Collective.SINGLE.stripe();
          }
        };
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(CONFIG.model(), 259, 16, m);
        AdamW adam = new AdamW(CONFIG.optim(), model.params(), m);
        NDManager scratch = m.newSubManager();
        BucketedSync buckets =
            new BucketedSync(model.params(), model.segments(), recording, 4096)) {
      GradientSync counting =
          afterEachSegment(
              buckets,
              segment -> {
                // Wait (bounded) until the communication thread has taken what is ready, so that
                // what it records does not depend on thread scheduling.
                long ready =
                    buckets.plan().buckets().stream()
                        .filter(b -> b.readyAfter() >= segment)
                        .count();
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (sent(doneAtSend) < ready && System.nanoTime() < deadline) {
                  Thread.onSpinWait();
                }
                segmentsDone.incrementAndGet();
              });
      StepPhases step = new StepPhases(model, new Autoregressive(), adam, 1.0);
      int[][] tokens = new int[2][16];
      step.accumulate(
          scratch,
          new Autoregressive().prepare(tokens, new SplittableRandom(1), null),
          0,
          counting);
      assertTrue(counting.finish().finite());
      int segments = model.config().layers() + 2;
      assertEquals(buckets.plan().buckets().size(), doneAtSend.size());
      assertEquals(
          0, doneAtSend.get(0), "the head's buckets are handed over before the next segment");
      assertEquals(segments - 1, doneAtSend.get(doneAtSend.size() - 1));
    }
  }
}
