package io.crossover.executor.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.TrainConfig;
import io.crossover.data.plan.Noise;
import io.crossover.executor.TestGrads;
import io.crossover.executor.TestModels;
import io.crossover.executor.model.Numerics;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Batch;
import io.crossover.executor.objective.MaskedDiffusion;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.optim.AdamW;
import io.crossover.executor.precision.Precision;
import io.crossover.executor.precision.Tf32;
import io.crossover.executor.train.StepPhases;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * On a GPU host (bin/gpu-check): the same model, data and noise train to the same losses on the GPU
 * as on the CPU in FP32, gradients come back from device memory intact through the buckets the
 * all-reduce uses, SDPA and bf16 autocast work on CUDA. Skipped, saying so, where libtorch sees no
 * GPU.
 */
class GpuTrainingTest {
  static final CrossoverConfig CONFIG = TestModels.config("optim.lr=3e-3", "optim.warmup-steps=0");

  static float[] train(Device device, int steps) {
    return train(device, steps, Numerics.DEFAULT);
  }

  static float[] train(Device device, int steps, Numerics numerics) {
    try (NDManager m = NDManager.newBaseManager(device);
        Transformer model = new Transformer(CONFIG.model(), 259, 3, m, numerics);
        AdamW adam = new AdamW(CONFIG.optim(), model.params(), m)) {
      Objective mdm = new MaskedDiffusion(257, 0);
      StepPhases step = new StepPhases(model, mdm, adam, 1.0);
      float[] losses = new float[steps];
      SplittableRandom data = new SplittableRandom(11);
      for (int s = 0; s < steps; s++) {
        int[][] tokens = new int[4][64];
        for (int[] row : tokens) {
          for (int i = 0; i < row.length; i++) {
            row[i] = data.nextInt(256);
          }
        }
        try (NDManager scratch = m.newSubManager()) {
          Batch b = mdm.prepare(tokens, Noise.of(1, 0, s), Noise.of(1, -1, s));
          losses[s] = step.forwardBackward(scratch, b);
          // Through host memory and back, as the all-reduce does every step.
          TestGrads.roundTrip(model, losses[s]);
          step.clipAndUpdate(scratch, 3e-3);
        }
      }
      return losses;
    }
  }

  @Test
  void trainingOnTheGpuMatchesTheCpuInFp32() {
    boolean required = Boolean.getBoolean("crossover.require-gpu");
    if (required) {
      assertEquals(true, Engine.getInstance().getGpuCount() > 0, "bin/gpu-check: no GPU visible");
    }
    assumeTrue(
        Engine.getInstance().getGpuCount() > 0,
        "libtorch sees no GPU here (CPU natives or no device); bin/gpu-check runs this on GPU"
            + " hosts with -Pcuda");
    float[] cpu = train(Device.cpu(), 20);
    float[] gpu = train(Device.gpu(), 20);
    for (int s = 0; s < cpu.length; s++) {
      assertEquals(cpu[s], gpu[s], 1e-3f * Math.max(1f, Math.abs(cpu[s])), "step " + s);
    }
  }

  static void requireGpu() {
    if (Boolean.getBoolean("crossover.require-gpu")) {
      assertEquals(true, Engine.getInstance().getGpuCount() > 0, "bin/gpu-check: no GPU visible");
    }
    assumeTrue(
        Engine.getInstance().getGpuCount() > 0,
        "libtorch sees no GPU here (CPU natives or no device); bin/gpu-check runs this on GPU"
            + " hosts with -Pcuda");
  }

  /**
   * On the GPU: fused attention (SDPA's CUDA kernels) follows the materialised reference in FP32
   * with TF32 off, and bf16 autocast (CUDA) follows FP32 within bf16's rounding.
   */
  @Test
  void fusedAttentionAndBf16OnTheGpu() {
    requireGpu();
    Tf32.set(false);
    try {
      var fp32 = Precision.FP32;
      var bf16 = Precision.BF16;
      var fused = TrainConfig.Attention.FUSED;
      var materialized = TrainConfig.Attention.MATERIALIZED;
      float[] reference = train(Device.gpu(), 20, new Numerics(materialized, fp32, fp32));
      float[] sdpa = train(Device.gpu(), 20, new Numerics(fused, fp32, fp32));
      float[] half = train(Device.gpu(), 20, new Numerics(fused, bf16, fp32));
      for (int s = 0; s < reference.length; s++) {
        float scale = Math.max(1f, Math.abs(reference[s]));
        assertEquals(reference[s], sdpa[s], 1e-3f * scale, "fused, step " + s);
        assertEquals(reference[s], half[s], 3e-2f * scale, "bf16, step " + s);
      }
      Tf32.set(true);
      assertEquals(true, Tf32.cublas(), "TF32 switched on");
    } finally {
      Tf32.set(true);
    }
  }
}
