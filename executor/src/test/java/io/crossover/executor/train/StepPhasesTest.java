package io.crossover.executor.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.plan.Noise;
import io.crossover.executor.TestGrads;
import io.crossover.executor.TestModels;
import io.crossover.executor.allreduce.GradientSync;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Autoregressive;
import io.crossover.executor.objective.Batch;
import io.crossover.executor.objective.MaskedDiffusion;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.optim.AdamW;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class StepPhasesTest {
  static final CrossoverConfig CONFIG =
      TestModels.config("optim.lr=1e-2", "optim.weight-decay=0", "optim.warmup-steps=0");

  static final int STEPS = 150;

  static int[][] sentence() {
    byte[] text = "the quick brown fox jumps over the lazy dog again".getBytes();
    int[][] tokens = new int[1][text.length];
    for (int i = 0; i < text.length; i++) {
      tokens[0][i] = text[i];
    }
    return tokens;
  }

  static float overfit(Objective objective, int steps) {
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(CONFIG.model(), 259, 11, m);
        AdamW adam = new AdamW(CONFIG.optim(), model.params(), m)) {
      StepPhases step = new StepPhases(model, objective, adam, 1.0);
      // The same batch every step, masks included: a model that can learn must memorise it.
      Batch batch = objective.prepare(sentence(), new SplittableRandom(1), new SplittableRandom(2));
      float loss = Float.NaN;
      for (int s = 0; s < steps; s++) {
        try (NDManager scratch = m.newSubManager()) {
          loss = step.forwardBackward(scratch, batch);
          step.clipAndUpdate(scratch, CONFIG.optim().lr());
        }
      }
      return loss;
    }
  }

  @Test
  void mdmOverfitsASingleBatchToNearZeroLoss() {
    float loss = overfit(new MaskedDiffusion(257, 0), 150);
    assertTrue(loss < 0.05, "MDM loss after 150 steps on one batch: " + loss);
  }

  @Test
  void arOverfitsASingleBatchToNearZeroLoss() {
    float loss = overfit(new Autoregressive(), 150);
    assertTrue(loss < 0.05, "AR loss after 150 steps on one batch: " + loss);
  }

  @Test
  void gradientsGoOutInBucketsAndComeBackBitwise() {
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(CONFIG.model(), 259, 11, m);
        AdamW adam = new AdamW(CONFIG.optim(), model.params(), m);
        NDManager scratch = m.newSubManager()) {
      StepPhases step = new StepPhases(model, new Autoregressive(), adam, 1.0);
      step.forwardBackward(scratch, new Autoregressive().prepare(sentence(), null, null));
      float[] flat = TestGrads.flat(model);
      assertEquals(model.parameterCount(), flat.length);
      TestGrads.roundTrip(model, 1f);
      assertArrayEquals(flat, TestGrads.flat(model));
      double norm = 0;
      for (float g : flat) {
        norm += g * g;
      }
      assertEquals(Math.sqrt(norm), step.globalNorm(scratch), 1e-4 * Math.sqrt(norm));
    }
  }

  /** A rank's batch in micro-batches of 1, 2 and 3 rows gives the gradients of one forward. */
  @Test
  void microBatchedGradientsEqualTheSingleBatchGradients() {
    for (Objective objective :
        new Objective[] {new Autoregressive(), new MaskedDiffusion(257, 0.1)}) {
      int[][] tokens = new int[6][24];
      SplittableRandom data = new SplittableRandom(5);
      for (int[] row : tokens) {
        for (int i = 0; i < row.length; i++) {
          row[i] = data.nextInt(256);
        }
      }
      Batch batch = objective.prepare(tokens, Noise.of(1, 0, 3), Noise.of(1, -1, 3));
      float[] whole = null;
      float wholeLoss = 0;
      for (int micro : new int[] {0, 1, 2, 4}) {
        try (NDManager m = NDManager.newBaseManager();
            Transformer model = new Transformer(CONFIG.model(), 259, 11, m);
            AdamW adam = new AdamW(CONFIG.optim(), model.params(), m);
            NDManager scratch = m.newSubManager()) {
          StepPhases step = new StepPhases(model, objective, adam, 1.0, micro);
          GradientSync sync = GradientSync.singleRank();
          step.accumulate(scratch, batch, 0, sync);
          float loss = sync.finish().meanLoss();
          float[] g = TestGrads.flat(model);
          if (whole == null) {
            whole = g;
            wholeLoss = loss;
            continue;
          }
          assertEquals(wholeLoss, loss, 1e-5 * Math.abs(wholeLoss), objective.name() + " loss");
          double max = 0;
          double scale = 0;
          for (int i = 0; i < g.length; i++) {
            max = Math.max(max, Math.abs(g[i] - whole[i]));
            scale = Math.max(scale, Math.abs(whole[i]));
          }
          assertTrue(
              max <= 1e-5 * scale,
              objective.name()
                  + " micro-batch "
                  + micro
                  + ": gradients differ by "
                  + max
                  + " of "
                  + scale);
        }
      }
    }
  }

  /**
   * Under constant garbage collection, steps whose gradients go out to the heap and back (as for
   * the all-reduce) give bitwise the parameters of plain steps, and no gradient turns to garbage.
   * This caught autograd keeping a scalar whose Java direct buffer the collector had freed.
   */
  @Test
  void stepsWithGradientsGoingOutAndBackMatchPlainSteps() {
    float[][] params = new float[2][];
    Thread gc =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                System.gc();
                try {
                  Thread.sleep(5);
                } catch (InterruptedException e) {
                  return;
                }
              }
            });
    gc.setDaemon(true);
    gc.start();
    try {
      run(params);
    } finally {
      gc.interrupt();
    }
    assertArrayEquals(params[0], params[1]);
  }

  private static void run(float[][] params) {
    for (int variant = 0; variant < 2; variant++) {
      try (NDManager m = NDManager.newBaseManager();
          Transformer model = new Transformer(CONFIG.model(), 259, 11, m);
          AdamW adam = new AdamW(CONFIG.optim(), model.params(), m)) {
        StepPhases step = new StepPhases(model, new Autoregressive(), adam, 1.0);
        for (int s = 0; s < STEPS; s++) {
          try (NDManager scratch = m.newSubManager()) {
            step.forwardBackward(scratch, new Autoregressive().prepare(sentence(), null, null));
            if (variant == 1) {
              TestGrads.roundTrip(model, 1f);
            }
            float norm = step.clipAndUpdate(scratch, 1e-2);
            if (!(norm < 100)) {
              throw new AssertionError("garbage gradient norm " + norm + " at step " + s);
            }
          }
        }
        params[variant] = model.params().get(2).array().toFloatArray();
      }
    }
    assertArrayEquals(params[0], params[1]);
  }

  @Test
  void aModelTrainsInAThreadOtherThanTheOneThatLoadedTheEngine() throws Exception {
    try (NDManager loaded = NDManager.newBaseManager()) {
      loaded.zeros(new Shape(1)); // the engine is up, in this thread
    }
    AtomicReference<Throwable> failure = new AtomicReference<>();
    // A fresh thread starts with libtorch's grad mode on (a sweep's next run, a Spark retry).
    Thread other =
        new Thread(
            () -> {
              try {
                assertTrue(overfit(new Autoregressive(), 2) > 0);
              } catch (Throwable t) {
                failure.set(t);
              }
            });
    other.start();
    other.join();
    if (failure.get() != null) {
      throw new AssertionError("training in a new thread failed", failure.get());
    }
  }
}
