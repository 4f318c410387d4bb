package io.crossover.executor.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.crossover.data.config.ConfigException;
import io.crossover.data.config.ModelConfig;
import io.crossover.data.config.TrainConfig.Attention;
import io.crossover.executor.TestModels;
import io.crossover.executor.precision.Precision;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Grouped-query attention ({@code model.kv-heads}): the shapes and counts, both kernels, and the
 * meaning — key/value head j serves query heads j*g .. j*g+g-1, as Hugging Face's repeat_kv.
 */
class GroupedQueryAttentionTest {
  static final int VOCAB = 259;
  static final int[][] TOKENS = NumericsTest.TOKENS;

  static ModelConfig model(String... overrides) {
    return TestModels.config(overrides).model();
  }

  @Test
  void kvHeadsDefaultToTheHeadsAndMustDivideThem() {
    ModelConfig plain = model();
    assertEquals(plain.heads(), plain.kvHeads());
    assertEquals(plain.dim(), plain.kvDim());
    ModelConfig grouped = model("model.kv-heads=2");
    assertEquals(2, grouped.kvHeads());
    assertEquals(2 * grouped.headDim(), grouped.kvDim());
    ConfigException e = assertThrows(ConfigException.class, () -> model("model.kv-heads=3"));
    assertTrue(e.getMessage().contains("model.kv-heads"), e.getMessage());
    assertTrue(e.getMessage().contains("does not divide model.heads=4"), e.getMessage());
  }

  @Test
  void theCountsAreTheModelsOwn() {
    for (String kv : new String[] {"4", "2", "1"}) {
      ModelConfig c = model("model.kv-heads=" + kv);
      try (NDManager m = NDManager.newBaseManager();
          Transformer t = new Transformer(c, VOCAB, 1, m)) {
        assertEquals(ModelSize.parameters(c, VOCAB), t.parameterCount(), "kv-heads " + kv);
        long kvParams = 0;
        for (Param p : t.params()) {
          if (p.name().endsWith("k_proj.weight") || p.name().endsWith("v_proj.weight")) {
            kvParams += p.size();
          }
        }
        assertEquals(2L * c.layers() * c.dim() * c.kvDim(), kvParams);
      }
    }
    assertTrue(
        ModelSize.parameters(model("model.kv-heads=1"), VOCAB)
            < ModelSize.parameters(model(), VOCAB));
  }

  @Test
  void fusedAndMaterialisedKernelsAgreeOnGroupedHeads() {
    ModelConfig c = model("model.kv-heads=2");
    for (boolean causal : new boolean[] {true, false}) {
      List<float[]> fused = logitsAndGradients(c, Attention.FUSED, causal, null);
      List<float[]> reference = logitsAndGradients(c, Attention.MATERIALIZED, causal, null);
      NumericsTest.assertClose(fused, reference, 1e-4, causal ? "causal" : "full");
    }
  }

  /**
   * A grouped model equals the multi-head model whose key and value weights repeat each group's
   * head for its query heads: the logits agree, and each grouped gradient is the sum of the
   * gradients of the heads it serves.
   */
  @Test
  void aGroupIsItsKeyAndValueHeadRepeatedForItsQueryHeads() {
    ModelConfig grouped = model("model.kv-heads=2");
    ModelConfig full = model();
    int g = grouped.heads() / grouped.kvHeads();
    int hd = grouped.headDim();
    List<float[]> gq = logitsAndGradients(grouped, Attention.MATERIALIZED, true, null);
    List<float[]> expanded =
        logitsAndGradients(full, Attention.MATERIALIZED, true, params -> expand(params, g, hd));
    NumericsTest.assertClose(List.of(gq.get(0)), List.of(expanded.get(0)), 1e-5, "logits");
    try (NDManager m = NDManager.newBaseManager();
        Transformer t = new Transformer(grouped, VOCAB, 3, m)) {
      for (int i = 0; i < t.params().size(); i++) {
        Param p = t.params().get(i);
        float[] mine = gq.get(i + 1);
        float[] theirs = expanded.get(i + 1);
        float[] want =
            p.name().endsWith("k_proj.weight") || p.name().endsWith("v_proj.weight")
                ? sumGroups(theirs, grouped.dim(), grouped.kvHeads(), g, hd)
                : theirs;
        NumericsTest.assertClose(List.of(mine), List.of(want), 1e-4, p.name());
      }
    }
  }

  /** Copies a grouped model's weights into a multi-head one, repeating each key/value head. */
  private static void expand(List<Param> into, int g, int hd) {
    try (NDManager m = NDManager.newBaseManager();
        Transformer source = new Transformer(model("model.kv-heads=2"), VOCAB, 3, m)) {
      for (int i = 0; i < into.size(); i++) {
        Param from = source.params().get(i);
        Param to = into.get(i);
        float[] values = from.array().toFloatArray();
        if (to.name().endsWith("k_proj.weight") || to.name().endsWith("v_proj.weight")) {
          long[] shape = from.array().getShape().getShape();
          assertArrayEquals(new long[] {shape[0], shape[1]}, shape);
          int rows = (int) shape[0];
          int kvDim = (int) shape[1];
          int dim = kvDim * g;
          float[] out = new float[rows * dim];
          for (int r = 0; r < rows; r++) {
            for (int h = 0; h < dim / hd; h++) {
              System.arraycopy(values, r * kvDim + (h / g) * hd, out, r * dim + h * hd, hd);
            }
          }
          values = out;
        }
        to.array().set(values);
      }
    }
  }

  /** Sums the gradient columns of the query heads each key/value head serves. */
  private static float[] sumGroups(float[] full, int rows, int kvHeads, int g, int hd) {
    int dim = kvHeads * g * hd;
    int kvDim = kvHeads * hd;
    float[] out = new float[rows * kvDim];
    for (int r = 0; r < rows; r++) {
      for (int h = 0; h < kvHeads * g; h++) {
        for (int x = 0; x < hd; x++) {
          out[r * kvDim + (h / g) * hd + x] += full[r * dim + h * hd + x];
        }
      }
    }
    return out;
  }

  /** Logits and every parameter gradient of a fixed loss (mean of squared logits). */
  static List<float[]> logitsAndGradients(
      ModelConfig c, Attention attention, boolean causal, Consumer<List<Param>> setUp) {
    Numerics numerics = new Numerics(attention, Precision.FP32, Precision.FP32);
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(c, VOCAB, 3, m, numerics);
        NDManager step = m.newSubManager()) {
      if (setUp != null) {
        setUp.accept(model.params());
      }
      List<float[]> out = new ArrayList<>();
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray logits =
            model.forward(
                step, step.create(TOKENS), new Transformer.Pass(causal, 0, Precision.FP32, null));
        out.add(logits.toFloatArray());
        collector.backward(logits.square().mean());
      }
      for (Param p : model.params()) {
        out.add(p.array().getGradient().toFloatArray());
      }
      return out;
    }
  }
}
