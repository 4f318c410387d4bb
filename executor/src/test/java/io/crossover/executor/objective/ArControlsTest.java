package io.crossover.executor.objective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.crossover.data.config.ConfigException;
import io.crossover.data.plan.Noise;
import io.crossover.executor.TestModels;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.optim.AdamW;
import io.crossover.executor.train.StepPhases;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The AR regularisation arms: input masking and dropout, matched to plain AR otherwise. */
class ArControlsTest {
  static final int MASK = 257;

  @Test
  void armsAreParsedFromTheObjectiveTypeAndNamedBack() {
    for (String arm :
        new String[] {"ar", "mdm", "ar+mask0.15", "ar+drop0.1", "ar+mask0.15+drop0.1"}) {
      Objective o = Objective.describe(TestModels.config("objective.type=" + arm).objective());
      assertEquals(arm, o.name());
      assertEquals(
          arm.equals("mdm") ? Objective.Family.DIFFUSION : Objective.Family.AUTOREGRESSIVE,
          o.family());
    }
    assertEquals(
        "ar+mask0.2",
        Objective.describe(TestModels.config("objective.ar-input-mask=0.2").objective()).name());
    for (String bad :
        new String[] {"mdm+mask0.1", "ar+mask0", "ar+mask1.5", "ar+noise0.1", "gpt"}) {
      assertThrowsConfig("objective.type=" + bad);
    }
    assertThrowsConfig("objective.type=ar+mask0.1", "objective.ar-input-mask=0.2");
  }

  private static void assertThrowsConfig(String... overrides) {
    try {
      TestModels.config(overrides);
    } catch (ConfigException e) {
      assertTrue(e.getMessage().startsWith("config key 'objective."), e.getMessage());
      return;
    }
    throw new AssertionError("accepted " + String.join(" ", overrides));
  }

  @Test
  void inputMaskingMasksInputsOnlyAtItsRateAndLeavesTargetsClean() {
    int rows = 64;
    int length = 257;
    int[][] tokens = new int[rows][length];
    SplittableRandom r = new SplittableRandom(3);
    for (int[] row : tokens) {
      for (int i = 0; i < length; i++) {
        row[i] = r.nextInt(256);
      }
    }
    Batch plain =
        new Autoregressive().prepare(tokens, new SplittableRandom(1), new SplittableRandom(2));
    Batch masked =
        new Autoregressive(MASK, 0.15, 0)
            .prepare(tokens, new SplittableRandom(1), new SplittableRandom(2));
    int count = 0;
    for (int i = 0; i < rows; i++) {
      assertArrayEquals(
          plain.targets()[i], masked.targets()[i], "targets stay the clean next tokens");
      assertArrayEquals(plain.weights()[i], masked.weights()[i]);
      for (int j = 0; j < length - 1; j++) {
        if (masked.inputs()[i][j] == MASK) {
          count++;
        } else {
          assertEquals(plain.inputs()[i][j], masked.inputs()[i][j]);
        }
      }
    }
    double rate = (double) count / (rows * (length - 1));
    // 16,384 draws: the rate's standard error is 0.0028.
    assertEquals(0.15, rate, 0.012, "masked share");
  }

  @Test
  void dropoutTrainsWithFreshMasksEachStepReproduciblyAndNeverDropsInEvaluation() {
    var config = TestModels.config("optim.lr=1e-2", "optim.warmup-steps=0");
    int[][] tokens = {"the cat sat on the mat".chars().toArray()};
    float[][] losses = new float[2][];
    for (int run = 0; run < 2; run++) {
      try (NDManager m = NDManager.newBaseManager();
          Transformer model = new Transformer(config.model(), 259, 5, m);
          AdamW adam = new AdamW(config.optim(), model.params(), m)) {
        Objective drop = new Autoregressive(MASK, 0, 0.3);
        StepPhases step = new StepPhases(model, drop, adam, 1.0);
        losses[run] = new float[6];
        for (int s = 0; s < 6; s++) {
          try (NDManager scratch = m.newSubManager()) {
            Batch b = drop.prepare(tokens, Noise.of(1, 0, s), Noise.of(1, -1, s));
            if (s == 0) {
              // The same batch twice (same seed): the same masks, the same loss.
              float first = StepPhases.loss(scratch, model, drop, b).getFloat();
              assertEquals(first, StepPhases.loss(scratch, model, drop, b).getFloat());
              // Evaluation has no dropout: a forward without it is deterministic and differs.
              float eval = StepPhases.loss(scratch, model, new Autoregressive(), b).getFloat();
              assertEquals(
                  eval, StepPhases.loss(scratch, model, new Autoregressive(), b).getFloat());
              assertNotEquals(first, eval, "dropout changes the training forward");
            }
            losses[run][s] = step.forwardBackward(scratch, b);
            step.clipAndUpdate(scratch, 1e-2);
          }
        }
      }
    }
    assertArrayEquals(
        losses[0], losses[1], "seeded per step: a second run (a resume) is identical");
  }
}
