package io.crossover.executor.precision;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.crossover.data.config.TrainConfig;
import io.crossover.data.plan.Noise;
import io.crossover.executor.TestModels;
import io.crossover.executor.allreduce.GradientSync;
import io.crossover.executor.model.Numerics;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Autoregressive;
import io.crossover.executor.objective.MaskedDiffusion;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.optim.AdamW;
import io.crossover.executor.train.StepPhases;
import java.util.SplittableRandom;

/**
 * Run in a separate JVM by {@link Bf16ForkTest}: {@code djl-reads-bf16} asks DJL the type of a bf16
 * tensor (what must never happen: the JVM aborts); {@code train} trains the tiny model in bf16 with
 * both objectives and both attention kernels and prints {@code trained}.
 */
public final class Bf16Probe {
  public static void main(String[] args) {
    if (args[0].equals("djl-reads-bf16")) {
      try (NDManager m = NDManager.newBaseManager()) {
        NDArray a = m.ones(new Shape(4, 4));
        NDArray product;
        try (Autocast region = Autocast.open(Device.cpu(), Precision.BF16)) {
          product = a.matMul(a);
        }
        // DJL reads the type here: a bf16 tensor takes the JVM down.
        System.out.println("read " + product.softmax(-1).toFloatArray().length);
        System.out.println("survived");
      }
      return;
    }
    var config = TestModels.config("optim.warmup-steps=0");
    for (Objective objective :
        new Objective[] {new Autoregressive(), new MaskedDiffusion(257, 0.1)}) {
      for (var attention : TrainConfig.Attention.kernels()) {
        try (NDManager m = NDManager.newBaseManager();
            Transformer model =
                new Transformer(
                    config.model(),
                    259,
                    1,
                    m,
                    new Numerics(attention, Precision.BF16, Precision.BF16));
            AdamW adam = new AdamW(config.optim(), model.params(), m)) {
          StepPhases step = new StepPhases(model, objective, adam, 1.0, 2);
          SplittableRandom random = new SplittableRandom(3);
          for (int s = 0; s < 3; s++) {
            int[][] tokens = new int[4][32];
            for (int[] row : tokens) {
              for (int i = 0; i < row.length; i++) {
                row[i] = random.nextInt(256);
              }
            }
            try (NDManager scratch = m.newSubManager()) {
              GradientSync sync = GradientSync.singleRank();
              step.accumulate(
                  scratch,
                  objective.prepare(tokens, Noise.of(1, 0, s), Noise.of(1, -1, s)),
                  s,
                  sync);
              if (!sync.finish().finite()) {
                throw new AssertionError("non-finite loss");
              }
              step.clipAndUpdate(scratch, 1e-3);
            }
          }
          try (NDManager scratch = m.newSubManager()) {
            model
                .forward(scratch, scratch.create(new int[][] {{1, 2, 3}}), objective.causal())
                .toFloatArray();
          }
        }
      }
    }
    System.out.println("trained");
  }
}
