package io.crossover.executor.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.crossover.data.config.ModelConfig;
import io.crossover.executor.TestModels;
import org.junit.jupiter.api.Test;

class TransformerTest {
  static final int VOCAB = 259;

  static ModelConfig tiny() {
    return TestModels.config().model();
  }

  static float[] logitsAt(
      Transformer model, NDManager m, int[] tokens, boolean causal, int position) {
    try (NDManager step = m.newSubManager()) {
      NDArray logits = model.forward(step, step.create(new int[][] {tokens}), causal);
      return logits.get(new NDIndex("0, {}, :", position)).toFloatArray();
    }
  }

  @Test
  void arLogitsNeverDependOnLaterTokens() {
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(tiny(), VOCAB, 1, m)) {
      int[] tokens = {10, 20, 30, 40, 50, 60, 70, 80};
      for (int j = 1; j < tokens.length; j++) {
        int[] changed = tokens.clone();
        changed[j] = 200;
        for (int i = 0; i < j; i++) {
          assertArrayEquals(
              logitsAt(model, m, tokens, true, i),
              logitsAt(model, m, changed, true, i),
              "token " + j + " leaked into position " + i);
        }
        float[] before = logitsAt(model, m, tokens, true, j);
        float[] after = logitsAt(model, m, changed, true, j);
        assertTrue(maxDiff(before, after) > 1e-4, "position " + j + " sees its own token");
      }
    }
  }

  @Test
  void mdmLogitsDependOnEveryToken() {
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(tiny(), VOCAB, 1, m)) {
      int[] tokens = {10, 20, 30, 40, 50, 60, 70, 80};
      for (int j = 1; j < tokens.length; j++) {
        int[] changed = tokens.clone();
        changed[j] = 200;
        assertTrue(
            maxDiff(logitsAt(model, m, tokens, false, 0), logitsAt(model, m, changed, false, 0))
                > 1e-4,
            "position 0 must see token " + j);
      }
    }
  }

  @Test
  void parametersFollowTheShapeAndTheSeed() {
    ModelConfig c = tiny();
    long d = c.dim();
    long expected =
        VOCAB * d
            + c.layers() * (2 * d + 4 * d * d + 2L * c.headDim() + 3 * d * c.ffnDim())
            + d
            + d * VOCAB;
    try (NDManager m = NDManager.newBaseManager();
        Transformer a = new Transformer(c, VOCAB, 7, m);
        Transformer b = new Transformer(c, VOCAB, 7, m);
        Transformer other = new Transformer(c, VOCAB, 8, m)) {
      assertEquals(expected, a.parameterCount());
      assertEquals(expected, ModelSize.parameters(c, VOCAB));
      assertEquals(3 + 11 * c.layers(), a.params().size());
      for (int i = 0; i < a.params().size(); i++) {
        assertArrayEquals(
            a.params().get(i).array().toFloatArray(), b.params().get(i).array().toFloatArray());
      }
      float[] qa = a.params().get(2).array().toFloatArray();
      assertTrue(
          maxDiff(qa, other.params().get(2).array().toFloatArray()) > 0,
          "another seed, other weights");
      double sum = 0;
      double squares = 0;
      for (float x : qa) {
        sum += x;
        squares += x * x;
      }
      double std = Math.sqrt(squares / qa.length - Math.pow(sum / qa.length, 2));
      assertEquals(0.02, std, 0.002, "init std");
    }
  }

  @Test
  void aForwardPassLeavesNothingInTheModelsManager() {
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(tiny(), VOCAB, 1, m)) {
      logitsAt(model, m, new int[] {1, 2, 3, 4}, true, 0);
      int before = m.getManagedArrays().size();
      for (int i = 0; i < 3; i++) {
        logitsAt(model, m, new int[] {1, 2, 3, 4}, i % 2 == 0, 0);
      }
      assertEquals(before, m.getManagedArrays().size(), "per-step arrays must die with the step");
    }
  }

  static float maxDiff(float[] a, float[] b) {
    float max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }
}
