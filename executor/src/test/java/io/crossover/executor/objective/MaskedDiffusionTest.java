package io.crossover.executor.objective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.data.plan.Noise;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MaskedDiffusionTest {
  static final int MASK = 257;

  static int[][] batch(int rows, int length) {
    int[][] tokens = new int[rows][length];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < length; i++) {
        tokens[r][i] = (r * 31 + i * 7) % 256;
      }
    }
    return tokens;
  }

  @Test
  void theMaskRatioIsUniformOnZeroOne() {
    MaskedDiffusion mdm = new MaskedDiffusion(MASK, 0);
    int length = 1024;
    int draws = 4000;
    double[] ratios = new double[draws];
    SplittableRandom shared = new SplittableRandom(0);
    for (int d = 0; d < draws; d++) {
      Batch b = mdm.prepare(batch(1, length), Noise.of(3, 0, d), shared);
      int masked = 0;
      for (int i = 0; i < length; i++) {
        masked += b.inputs()[0][i] == MASK ? 1 : 0;
      }
      ratios[d] = (double) masked / length;
    }
    Arrays.sort(ratios);
    double ks = 0;
    for (int i = 0; i < draws; i++) {
      ks =
          Math.max(
              ks,
              Math.max(
                  Math.abs((i + 1.0) / draws - ratios[i]),
                  Math.abs((double) i / draws - ratios[i])));
    }
    // Kolmogorov-Smirnov at alpha = 0.01 is 1.63/sqrt(n) = 0.026; the binomial rounding of t to
    // k/L adds at most ~0.01 more.
    assertTrue(ks < 0.036, "KS distance to U(0,1): " + ks);
  }

  @Test
  void maskedPositionsKeepTheirTargetAndUnmaskedOnesAreNotScored() {
    Batch b =
        new MaskedDiffusion(MASK, 0)
            .prepare(batch(8, 64), Noise.of(1, 2, 3), new SplittableRandom(1));
    int[][] original = batch(8, 64);
    double total = 0;
    for (int r = 0; r < 8; r++) {
      assertArrayEquals(original[r], b.targets()[r], "no shift: the target is the token itself");
      int masked = 0;
      for (int i = 0; i < 64; i++) {
        boolean isMasked = b.inputs()[r][i] == MASK;
        masked += isMasked ? 1 : 0;
        assertEquals(isMasked, b.weights()[r][i] > 0);
        assertTrue(isMasked || b.inputs()[r][i] == original[r][i]);
        total += b.weights()[r][i];
      }
      assertTrue(masked >= 1, "at least one masked token per row");
      for (int i = 0; i < 64; i++) {
        if (b.weights()[r][i] > 0) {
          assertEquals(
              1.0 / (8 * masked),
              b.weights()[r][i],
              1e-7,
              "(1/L) * 1/p with p = masked/L, over B rows");
        }
      }
    }
    assertEquals(1.0, total, 1e-5);
  }

  /**
   * The estimator is unbiased for its definition. With per-token losses CE_i(m) that depend on the
   * mask pattern m, the expected row loss is, exactly, sum over non-empty m of B(k) * mean_{i in m}
   * CE_i(m) + 1/(L+1) * mean_i CE_i({i}), where B(k) = k! (L-k)! / (L+1)! is the chance of pattern
   * m under t ~ U(0,1), and the last term is the all-unmasked case that gets one position forced.
   * Monte Carlo over the implementation must agree within its standard error.
   */
  @Test
  void theLossEstimatorIsUnbiased() {
    int length = 3;
    MaskedDiffusion mdm = new MaskedDiffusion(MASK, 0);
    // Arbitrary per-token losses that depend on the whole mask pattern, as a model's would.
    double[][] ce = new double[1 << length][length];
    SplittableRandom values = new SplittableRandom(42);
    for (int m = 0; m < ce.length; m++) {
      for (int i = 0; i < length; i++) {
        ce[m][i] = 0.5 + 4 * values.nextDouble();
      }
    }
    double exact = 0;
    for (int m = 1; m < (1 << length); m++) {
      int k = Integer.bitCount(m);
      double mean = 0;
      for (int i = 0; i < length; i++) {
        if ((m >> i & 1) == 1) {
          mean += ce[m][i] / k;
        }
      }
      exact += factorial(k) * factorial(length - k) / factorial(length + 1) * mean;
    }
    for (int i = 0; i < length; i++) {
      exact += 1.0 / (length + 1) / length * ce[1 << i][i];
    }

    int draws = 400_000;
    double sum = 0;
    double squares = 0;
    SplittableRandom shared = new SplittableRandom(0);
    for (int d = 0; d < draws; d++) {
      Batch b = mdm.prepare(batch(1, length), Noise.of(9, 0, d), shared);
      int pattern = 0;
      for (int i = 0; i < length; i++) {
        pattern |= (b.inputs()[0][i] == MASK ? 1 : 0) << i;
      }
      double loss = 0;
      for (int i = 0; i < length; i++) {
        loss += b.weights()[0][i] * ce[pattern][i];
      }
      sum += loss;
      squares += loss * loss;
    }
    double mean = sum / draws;
    double se = Math.sqrt((squares / draws - mean * mean) / draws);
    assertTrue(
        Math.abs(mean - exact) < 4 * se, "MC " + mean + " vs exact " + exact + " (SE " + se + ")");
  }

  @Test
  void aRandomLengthComesAboutOnePercentOfStepsAndIsTheSameOnEveryRank() {
    MaskedDiffusion mdm = new MaskedDiffusion(MASK, 0.01);
    int shortened = 0;
    int steps = 20_000;
    for (int step = 0; step < steps; step++) {
      int l0 =
          mdm.prepare(batch(2, 32), Noise.of(5, 0, step), Noise.of(5, -1, step)).inputs()[0].length;
      int l1 =
          mdm.prepare(batch(2, 32), Noise.of(5, 1, step), Noise.of(5, -1, step)).inputs()[0].length;
      assertEquals(l0, l1, "step " + step);
      assertTrue(l0 >= 2 && l0 <= 32);
      shortened += l0 < 32 ? 1 : 0;
    }
    // Binomial(20000, 0.01 * 30/31): mean 194, sd 14.
    assertTrue(shortened > 130 && shortened < 260, "shortened steps: " + shortened);
  }

  static double factorial(int n) {
    double f = 1;
    for (int i = 2; i <= n; i++) {
      f *= i;
    }
    return f;
  }
}
