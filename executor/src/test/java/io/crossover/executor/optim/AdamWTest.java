package io.crossover.executor.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.crossover.data.config.OptimConfig;
import io.crossover.executor.TestModels;
import io.crossover.executor.model.Param;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdamWTest {

  @Test
  void matchesTheAdamWFormulasStepByStep() {
    OptimConfig c = TestModels.config("optim.weight-decay=0.1", "optim.eps=1e-8").optim();
    float[] start = {0.5f, -1.0f, 2.0f, 0.0f};
    float[][] gradients = {{0.1f, -0.2f, 0.3f, 0f}, {-0.5f, 0.5f, 1f, 2f}, {0.01f, 0.02f, -3f, 1f}};
    double lr = 0.01;
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray matrix = m.create(start).reshape(2, 2);
      NDArray norm = m.create(start);
      matrix.setRequiresGradient(true);
      norm.setRequiresGradient(true);
      List<Param> params =
          List.of(
              new Param("w", matrix, true, Param.Layout.TRANSPOSED),
              new Param("n", norm, false, Param.Layout.AS_IS));
      try (AdamW adam = new AdamW(c, params, m)) {
        double[][] ref = {toDouble(start), toDouble(start)};
        double[][] mom = new double[2][4];
        double[][] vel = new double[2][4];
        for (int t = 1; t <= gradients.length; t++) {
          float[] g = gradients[t - 1];
          try (NDManager step = m.newSubManager()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
              NDArray coeff = step.create(g);
              gc.backward(matrix.reshape(4).mul(coeff).sum().add(norm.mul(coeff).sum()));
            }
            adam.update(lr, 1f, step);
            JniUtils.zeroGrad((PtNDArray) matrix);
            JniUtils.zeroGrad((PtNDArray) norm);
          }
          for (int p = 0; p < 2; p++) {
            for (int i = 0; i < 4; i++) {
              mom[p][i] = 0.9 * mom[p][i] + 0.1 * g[i];
              vel[p][i] = 0.95 * vel[p][i] + 0.05 * g[i] * g[i];
              if (p == 0) {
                ref[p][i] *= 1 - lr * 0.1;
              }
              double mh = mom[p][i] / (1 - Math.pow(0.9, t));
              double vh = vel[p][i] / (1 - Math.pow(0.95, t));
              ref[p][i] -= lr * mh / (Math.sqrt(vh) + 1e-8);
            }
          }
        }
        float[] w = matrix.toFloatArray();
        float[] n = norm.toFloatArray();
        for (int i = 0; i < 4; i++) {
          assertEquals(ref[0][i], w[i], 1e-5, "matrix (decayed) " + i);
          assertEquals(ref[1][i], n[i], 1e-5, "norm (not decayed) " + i);
        }
        assertEquals(3, adam.step());
      }
    }
  }

  private static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }
}
