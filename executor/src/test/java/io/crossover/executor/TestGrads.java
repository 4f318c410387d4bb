package io.crossover.executor;

import ai.djl.ndarray.NDArray;
import io.crossover.executor.allreduce.BucketedSync;
import io.crossover.executor.allreduce.Collective;
import io.crossover.executor.model.Param;
import io.crossover.executor.model.Transformer;

/** Gradients as tests look at them: one flat host copy (fine for test-sized models). */
public final class TestGrads {
  private TestGrads() {}

  /** Every gradient, concatenated in parameter order. */
  public static float[] flat(Transformer model) {
    float[] out = new float[Math.toIntExact(model.parameterCount())];
    int at = 0;
    for (Param p : model.params()) {
      try (NDArray g = p.array().getGradient()) {
        float[] values = g.toFloatArray();
        System.arraycopy(values, 0, out, at, values.length);
        at += values.length;
      }
    }
    return out;
  }

  /** Sends the gradients to the host and back in small buckets, as a one-rank all-reduce. */
  public static void roundTrip(Transformer model, float loss) {
    try (BucketedSync sync =
        new BucketedSync(model.params(), model.segments(), Collective.SINGLE, 4096)) {
      sync.begin(0, loss);
      if (!sync.finish().finite()) {
        throw new AssertionError("non-finite gradients or loss " + loss);
      }
    }
  }
}
