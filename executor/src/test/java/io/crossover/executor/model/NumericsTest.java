package io.crossover.executor.model;

import static io.crossover.data.config.TrainConfig.Attention.AUTO;
import static io.crossover.data.config.TrainConfig.Attention.FUSED;
import static io.crossover.data.config.TrainConfig.Attention.MATERIALIZED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.crossover.data.config.ModelConfig;
import io.crossover.data.config.TrainConfig;
import io.crossover.data.config.TrainConfig.Attention;
import io.crossover.executor.TestModels;
import io.crossover.executor.precision.Autocast;
import io.crossover.executor.precision.Precision;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fused attention against the materialised reference; bf16 autocast against FP32. */
class NumericsTest {
  static final int VOCAB = 259;
  static final int[][] TOKENS = {
    {10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160},
    {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31}
  };

  static ModelConfig tiny() {
    return TestModels.config().model();
  }

  /** Logits and every parameter gradient of a fixed loss (sum of squared logits / n). */
  static List<float[]> logitsAndGradients(Numerics numerics, boolean causal, boolean cut) {
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(tiny(), VOCAB, 3, m, numerics);
        NDManager step = m.newSubManager()) {
      List<float[]> out = new ArrayList<>();
      Segments cuts = cut ? new Segments() : null;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray logits =
            model.forward(
                step, step.create(TOKENS), new Transformer.Pass(causal, 0, numerics.train(), cuts));
        NDArray loss = logits.square().mean();
        out.add(logits.toFloatArray());
        if (cut) {
          List<Integer> order = new ArrayList<>();
          cuts.backward(loss, order::add);
          assertEquals(tiny().layers() + 2, order.size());
          assertEquals(tiny().layers() + 1, order.get(0), "the top segment finishes first");
          assertEquals(0, order.get(order.size() - 1), "the embedding finishes last");
        } else {
          collector.backward(loss);
        }
      }
      for (Param p : model.params()) {
        out.add(p.array().getGradient().toFloatArray());
      }
      return out;
    }
  }

  static double maxRelative(float[] a, float[] b) {
    double scale = 1e-12;
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      scale = Math.max(scale, Math.abs(b[i]));
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max / scale;
  }

  static void assertClose(List<float[]> a, List<float[]> b, double tolerance, String what) {
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      double d = maxRelative(a.get(i), b.get(i));
      assertTrue(d <= tolerance, what + ": tensor " + i + " differs by " + d + " (relative)");
    }
  }

  @Test
  void fusedAttentionEqualsTheMaterialisedScoresInFp32() {
    for (boolean causal : new boolean[] {true, false}) {
      List<float[]> fused =
          logitsAndGradients(
              new Numerics(Attention.FUSED, Precision.FP32, Precision.FP32), causal, false);
      List<float[]> reference =
          logitsAndGradients(
              new Numerics(Attention.MATERIALIZED, Precision.FP32, Precision.FP32), causal, false);
      assertClose(fused, reference, 1e-4, causal ? "causal" : "full");
    }
  }

  @Test
  void backwardBySegmentsGivesTheGradientsOfOneBackward() {
    Numerics n = new Numerics(Attention.FUSED, Precision.FP32, Precision.FP32);
    List<float[]> whole = logitsAndGradients(n, false, false);
    List<float[]> bySegment = logitsAndGradients(n, false, true);
    for (int i = 0; i < whole.size(); i++) {
      assertTrue(Arrays.equals(whole.get(i), bySegment.get(i)), "tensor " + i);
    }
  }

  @Test
  void bf16AutocastStaysCloseToFp32AndNeverHandsDjlABf16Tensor() {
    Precision.Resolved auto = Precision.resolve(TrainConfig.PrecisionSetting.AUTO, Device.cpu());
    // bf16 also runs (slowly, emulated) on CPUs without the instructions; the bound is the same.
    System.out.println("bf16 on this CPU: " + auto.precision() + " (" + auto.why() + ")");
    for (Attention attention : Attention.kernels()) {
      for (boolean causal : new boolean[] {true, false}) {
        List<float[]> fp32 =
            logitsAndGradients(
                new Numerics(attention, Precision.FP32, Precision.FP32), causal, false);
        // Reading every result as float[] asks DJL its type: a bf16 tensor would abort the JVM.
        List<float[]> bf16 =
            logitsAndGradients(
                new Numerics(attention, Precision.BF16, Precision.FP32), causal, true);
        double logits = maxRelative(bf16.get(0), fp32.get(0));
        assertTrue(logits < 0.05, attention + " logits differ by " + logits);
        assertTrue(logits > 0, "bf16 must actually compute in bf16");
        double cosine = cosine(bf16, fp32);
        assertTrue(cosine > 0.99, attention + " gradients' cosine similarity " + cosine);
      }
    }
  }

  @Test
  void autoAttentionIsTheMeasuredRule() {
    int causal = Numerics.MATERIALIZED_MAX_CAUSAL;
    int full = Numerics.MATERIALIZED_MAX_FULL;
    assertEquals(MATERIALIZED, Numerics.kernel(AUTO, false, Precision.BF16, 2, true));
    assertEquals(MATERIALIZED, Numerics.kernel(AUTO, false, Precision.BF16, causal, true));
    assertEquals(FUSED, Numerics.kernel(AUTO, false, Precision.BF16, causal + 1, true));
    assertEquals(MATERIALIZED, Numerics.kernel(AUTO, false, Precision.BF16, full, false));
    assertEquals(FUSED, Numerics.kernel(AUTO, false, Precision.BF16, full + 1, false));
    for (boolean mask : new boolean[] {true, false}) {
      assertEquals(FUSED, Numerics.kernel(AUTO, false, Precision.FP32, 2, mask), "FP32: fused");
      for (Precision p : Precision.values()) {
        assertEquals(FUSED, Numerics.kernel(AUTO, true, p, 2, mask), "GPUs: fused");
      }
    }
    for (Attention kernel : Attention.kernels()) {
      for (Precision p : Precision.values()) {
        for (boolean gpu : new boolean[] {false, true}) {
          assertEquals(kernel, Numerics.kernel(kernel, gpu, p, 256, true), "a set kernel is kept");
        }
      }
    }
  }

  @Test
  void autoAttentionComputesBitwiseWhatItsKernelComputes() {
    for (Precision p : Precision.values()) {
      for (boolean causal : new boolean[] {true, false}) {
        Attention kernel = Numerics.kernel(AUTO, false, p, TOKENS[0].length, causal);
        List<float[]> auto = logitsAndGradients(new Numerics(Attention.AUTO, p, p), causal, false);
        List<float[]> set = logitsAndGradients(new Numerics(kernel, p, p), causal, false);
        for (int i = 0; i < auto.size(); i++) {
          assertTrue(Arrays.equals(auto.get(i), set.get(i)), p + " " + kernel + " tensor " + i);
        }
      }
    }
  }

  static double cosine(List<float[]> a, List<float[]> b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 1; i < a.size(); i++) {
      for (int j = 0; j < a.get(i).length; j++) {
        dot += (double) a.get(i)[j] * b.get(i)[j];
        na += (double) a.get(i)[j] * a.get(i)[j];
        nb += (double) b.get(i)[j] * b.get(i)[j];
      }
    }
    return dot / Math.sqrt(na * nb);
  }

  @Test
  void autocastIsOnOnlyInsideTheForwardAndOffAgainAfterAnException() {
    Device cpu = Device.cpu();
    assertFalse(Autocast.enabled(cpu));
    try (Autocast region = Autocast.open(cpu, Precision.BF16)) {
      assertTrue(Autocast.enabled(cpu));
    }
    assertFalse(Autocast.enabled(cpu));
    try (Autocast region = Autocast.open(cpu, Precision.FP32)) {
      assertFalse(Autocast.enabled(cpu), "an FP32 region leaves autocast off");
    }
    Numerics bf16 = new Numerics(Attention.FUSED, Precision.BF16, Precision.BF16);
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(tiny(), VOCAB, 3, m, bf16);
        NDManager step = m.newSubManager()) {
      NDArray logits = model.forward(step, step.create(TOKENS), true, 0);
      assertFalse(Autocast.enabled(cpu), "off after the forward pass");
      assertEquals(VOCAB, logits.getShape().get(2));
      // A token id past the vocabulary fails inside the embedding, within the region.
      assertThrows(
          RuntimeException.class,
          () -> model.forward(step, step.create(new int[][] {{1, 2, VOCAB + 5}}), true, 0));
      assertFalse(Autocast.enabled(cpu), "off again after an exception");
    }
  }
}
