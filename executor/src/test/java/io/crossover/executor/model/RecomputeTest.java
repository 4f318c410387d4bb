package io.crossover.executor.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import io.crossover.executor.precision.Precision;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Activation recomputation ({@code train.recompute=blocks}): backward runs each block again from
 * its kept input, and the gradients are bitwise those of a forward that kept everything, in every
 * kernel and precision; segments still finish from the top down.
 */
class RecomputeTest {
  static final int VOCAB = 259;

  /** Logits and every parameter gradient of a fixed loss; segment order into {@code order}. */
  static List<float[]> run(ModelConfig c, Numerics n, boolean causal, List<Integer> order) {
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(c, VOCAB, 5, m, n);
        NDManager step = m.newSubManager()) {
      List<float[]> out = new ArrayList<>();
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        Segments cuts = order != null ? new Segments() : null;
        NDArray logits =
            model.forward(
                step,
                step.create(NumericsTest.TOKENS),
                new Transformer.Pass(causal, 0, n.train(), cuts));
        NDArray loss = logits.square().mean();
        out.add(logits.toFloatArray());
        if (cuts != null) {
          cuts.backward(loss, order::add);
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

  @Test
  void recomputedBlocksGiveBitwiseTheGradientsOfKeptOnes() {
    List<Precision> precisions = new ArrayList<>(List.of(Precision.FP32));
    // bf16 where this CPU computes it natively (as train.precision=auto would choose).
    if (Precision.resolve(TrainConfig.PrecisionSetting.AUTO, Device.cpu()).precision()
        == Precision.BF16) {
      precisions.add(Precision.BF16);
    }
    for (String shape : new String[] {"model.kv-heads=4", "model.kv-heads=2"}) {
      ModelConfig c = TestModels.config(shape).model();
      for (Attention a : Attention.kernels()) {
        for (Precision p : precisions) {
          for (boolean causal : new boolean[] {true, false}) {
            String what = shape + " " + a + " " + p + (causal ? " causal" : " full");
            List<float[]> kept = run(c, new Numerics(a, p, p, false), causal, null);
            List<Integer> order = new ArrayList<>();
            List<float[]> again = run(c, new Numerics(a, p, p, true), causal, order);
            assertEquals(kept.size(), again.size());
            for (int i = 0; i < kept.size(); i++) {
              assertTrue(Arrays.equals(kept.get(i), again.get(i)), what + ": tensor " + i);
            }
            List<Integer> topDown = new ArrayList<>();
            for (int s = c.layers() + 1; s >= 0; s--) {
              topDown.add(s);
            }
            assertEquals(topDown, order, what + ": segments finish from the top");
          }
        }
      }
    }
  }
}
