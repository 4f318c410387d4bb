package io.crossover.executor.allreduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.executor.TestModels;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Autoregressive;
import io.crossover.executor.objective.Batch;
import io.crossover.executor.optim.AdamW;
import io.crossover.executor.train.TrainStep;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two ranks with real models over a real ring: gradients come back averaged and bitwise equal, and
 * a non-finite loss or gradient on one rank makes every rank skip the step.
 */
class RingGradientSyncTest {
  static final CrossoverConfig CONFIG = TestModels.config("optim.warmup-steps=0");

  /** Runs one sync on two ranks; returns each rank's verdict and gradients afterwards. */
  static Object[][] sync(boolean[] locallyFinite, boolean poisonRank1) throws Exception {
    List<ServerSocket> servers = RingAllReduceTest.servers(2);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (NDManager m = NDManager.newBaseManager()) {
      TrainStep[] steps = new TrainStep[2];
      float[][] before = new float[2][];
      for (int r = 0; r < 2; r++) {
        Transformer model = new Transformer(CONFIG.model(), 259, 16, m);
        AdamW adam = new AdamW(CONFIG.optim(), model.params(), m);
        steps[r] = new TrainStep(model, new Autoregressive(), adam, 1.0);
        int[][] tokens = new int[2][16];
        SplittableRandom random = new SplittableRandom(r);
        for (int[] row : tokens) {
          for (int i = 0; i < row.length; i++) {
            row[i] = random.nextInt(256);
          }
        }
        Batch batch = steps[r].objective().prepare(tokens, random, random);
        // Backward passes one after the other: one gradient collector per JVM.
        try (NDManager scratch = m.newSubManager()) {
          steps[r].forwardBackward(scratch, batch);
        }
        before[r] = steps[r].gradients();
      }
      if (poisonRank1) {
        float[] g = before[1].clone();
        g[g.length / 2] = Float.NaN;
        steps[1].setGradients(g);
      }
      List<Future<Boolean>> verdicts = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        int rank = r;
        verdicts.add(
            pool.submit(
                () -> {
                  try (RingAllReduce ring =
                      RingAllReduce.connect(
                          rank,
                          RingAllReduceTest.addresses(servers),
                          servers.get(rank),
                          RingAllReduceTest.SECRET,
                          10_000,
                          4096)) {
                    return new RingGradientSync(ring).allReduce(steps[rank], locallyFinite[rank]);
                  }
                }));
      }
      Object[][] out = new Object[2][];
      for (int r = 0; r < 2; r++) {
        out[r] =
            new Object[] {verdicts.get(r).get(60, TimeUnit.SECONDS), steps[r].gradients(), before};
      }
      return out;
    } finally {
      pool.shutdownNow();
      for (ServerSocket s : servers) {
        s.close();
      }
    }
  }

  @Test
  void finiteStepsComeBackAveragedAndBitwiseEqualOnEveryRank() throws Exception {
    Object[][] out = sync(new boolean[] {true, true}, false);
    assertTrue((Boolean) out[0][0]);
    assertTrue((Boolean) out[1][0]);
    float[] rank0 = (float[]) out[0][1];
    assertArrayEquals(rank0, (float[]) out[1][1]);
    float[][] before = (float[][]) out[0][2];
    for (int i = 0; i < rank0.length; i++) {
      assertEquals((before[0][i] + before[1][i]) / 2, rank0[i], 1e-6f + 1e-5f * Math.abs(rank0[i]));
    }
  }

  @Test
  void aNonFiniteLossOnOneRankMakesEveryRankSkip() throws Exception {
    Object[][] out = sync(new boolean[] {true, false}, false);
    assertFalse((Boolean) out[0][0], "rank 0 must learn that rank 1's loss was not finite");
    assertFalse((Boolean) out[1][0]);
  }

  @Test
  void aNonFiniteGradientOnOneRankMakesEveryRankSkip() throws Exception {
    Object[][] out = sync(new boolean[] {true, true}, true);
    assertFalse((Boolean) out[0][0]);
    assertFalse((Boolean) out[1][0]);
  }
}
