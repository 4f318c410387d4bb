package io.crossover.executor.objective;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.crossover.executor.TestModels;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.train.StepPhases;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AutoregressiveLossTest {

  /** The AR loss equals the mean next-token cross-entropy computed by hand from the logits. */
  @Test
  void arLossIsTheMeanNextTokenCrossEntropy() {
    int[][] tokens = {{5, 17, 99, 3, 250, 17}, {1, 2, 3, 4, 5, 6}};
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(TestModels.config().model(), 259, 3, m);
        NDManager step = m.newSubManager()) {
      Objective ar = new Autoregressive();
      Batch batch = ar.prepare(tokens, new SplittableRandom(0), new SplittableRandom(0));
      float loss = StepPhases.loss(step, model, ar, batch).getFloat();

      NDArray logits = model.forward(step, step.create(batch.inputs()), true);
      float[] flat = logits.toFloatArray();
      int vocab = 259;
      double sum = 0;
      int count = 0;
      for (int r = 0; r < tokens.length; r++) {
        for (int i = 0; i < tokens[r].length - 1; i++) {
          int base = (r * (tokens[r].length - 1) + i) * vocab;
          double max = Double.NEGATIVE_INFINITY;
          for (int v = 0; v < vocab; v++) {
            max = Math.max(max, flat[base + v]);
          }
          double z = 0;
          for (int v = 0; v < vocab; v++) {
            z += Math.exp(flat[base + v] - max);
          }
          sum += max + Math.log(z) - flat[base + tokens[r][i + 1]];
          count++;
        }
      }
      assertEquals(sum / count, loss, 1e-5);
      // A fresh model is close to uniform over the vocabulary.
      assertEquals(Math.log(vocab), loss, 0.2);
    }
  }
}
