package io.crossover.executor.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.plan.Noise;
import io.crossover.data.tokenize.ByteTokenizer;
import io.crossover.executor.TestModels;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Autoregressive;
import io.crossover.executor.objective.Batch;
import io.crossover.executor.objective.MaskedDiffusion;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.optim.AdamW;
import io.crossover.executor.train.StepPhases;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GeneratorTest {
  static final CrossoverConfig CONFIG =
      TestModels.config("optim.lr=1e-2", "optim.weight-decay=0", "optim.warmup-steps=0");
  static final ByteTokenizer BYTES = new ByteTokenizer();
  static final String SENTENCE = "the quick brown fox jumps over the lazy dog";

  /** Trains on one sentence until it is memorised; returns the last loss. */
  static float memorise(Transformer model, Objective objective, NDManager m, int steps) {
    try (AdamW adam = new AdamW(CONFIG.optim(), model.params(), m)) {
      StepPhases step = new StepPhases(model, objective, adam, 1.0);
      int[] tokens = Arrays.copyOf(BYTES.encode(SENTENCE), SENTENCE.length() + 1);
      tokens[SENTENCE.length()] = ByteTokenizer.EOD;
      float loss = Float.NaN;
      for (int s = 0; s < steps; s++) {
        try (NDManager scratch = m.newSubManager()) {
          // Eight noisy copies per step: MDM must learn the sentence under every mask ratio.
          int[][] batch = new int[8][];
          Arrays.fill(batch, tokens);
          Batch b = objective.prepare(batch, Noise.of(2, 0, s), new SplittableRandom(s));
          loss = step.forwardBackward(scratch, b);
          step.clipAndUpdate(scratch, 1e-2);
        }
      }
      return loss;
    }
  }

  @Test
  void anArModelRecitesWhatItMemorisedAndStopsAtEod() {
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(CONFIG.model(), 259, 3, m)) {
      memorise(model, new Autoregressive(), m, 200);
      Generator g = new Generator(model, 64, m);
      int[] out = g.autoregressive(BYTES.encode("the quick"), 60, 0, 1, ByteTokenizer.EOD, 1);
      assertEquals(SENTENCE.substring("the quick".length()), BYTES.decode(out));
      int[] sampled =
          g.autoregressive(BYTES.encode("the quick"), 60, 0.5, 0.9, ByteTokenizer.EOD, 7);
      assertArrayEquals(
          sampled,
          g.autoregressive(BYTES.encode("the quick"), 60, 0.5, 0.9, ByteTokenizer.EOD, 7),
          "a seed reproduces a sample");
    }
  }

  @Test
  void anMdmModelFillsInWhatItMemorisedByUnmasking() {
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(CONFIG.model(), 259, 3, m)) {
      float loss = memorise(model, new MaskedDiffusion(257, 0), m, 400);
      Generator g = new Generator(model, 64, m);
      String prefix = "the quick brown";
      int rest = SENTENCE.length() - prefix.length();
      int[] out = g.maskedDiffusion(BYTES.encode(prefix), rest, rest, rest, 0, 257, 1);
      for (int id : out) {
        assertTrue(id != 257, "everything unmasked");
      }
      int right = 0;
      String text = BYTES.decode(out);
      for (int i = 0; i < rest; i++) {
        right += text.charAt(i) == SENTENCE.charAt(prefix.length() + i) ? 1 : 0;
      }
      assertTrue(
          right >= rest * 0.8,
          "recovered " + right + "/" + rest + ": " + text + " (loss " + loss + ")");
      int[] blocks = g.maskedDiffusion(BYTES.encode(prefix), rest, rest, 7, 0, 257, 1);
      assertEquals(rest, blocks.length);
    }
  }

  @Test
  void topPKeepsOnlyTheNucleus() {
    float[] logits = {10, 9, 0, 0, 0};
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 200; i++) {
      int t = Generator.sample(logits, 1.0, 0.5, random);
      assertEquals(0, t, "top-p 0.5 leaves only the most likely token");
    }
  }
}
