package io.crossover.executor.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.executor.TestModels;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Autoregressive;
import io.crossover.executor.objective.Batch;
import io.crossover.executor.objective.MaskedDiffusion;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.optim.AdamW;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TrainStepTest {
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
      TrainStep step = new TrainStep(model, objective, adam, 1.0);
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
  void gradientsGoOutAndComeBackAsOneFlatBuffer() {
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(CONFIG.model(), 259, 11, m);
        AdamW adam = new AdamW(CONFIG.optim(), model.params(), m);
        NDManager scratch = m.newSubManager()) {
      TrainStep step = new TrainStep(model, new Autoregressive(), adam, 1.0);
      step.forwardBackward(scratch, new Autoregressive().prepare(sentence(), null, null));
      float[] flat = step.gradients();
      assertEquals(model.parameterCount(), flat.length);
      float[] halved = flat.clone();
      for (int i = 0; i < halved.length; i++) {
        halved[i] /= 2;
      }
      step.setGradients(halved);
      assertArrayEquals(halved, step.gradients());
      double norm = 0;
      for (float g : halved) {
        norm += g * g;
      }
      assertEquals(Math.sqrt(norm), step.globalNorm(scratch), 1e-4 * Math.sqrt(norm));
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
        TrainStep step = new TrainStep(model, new Autoregressive(), adam, 1.0);
        for (int s = 0; s < STEPS; s++) {
          try (NDManager scratch = m.newSubManager()) {
            step.forwardBackward(scratch, new Autoregressive().prepare(sentence(), null, null));
            if (variant == 1) {
              step.setGradients(step.gradients());
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
      loaded.zeros(new ai.djl.ndarray.types.Shape(1)); // the engine is up, in this thread
    }
    java.util.concurrent.atomic.AtomicReference<Throwable> failure =
        new java.util.concurrent.atomic.AtomicReference<>();
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
