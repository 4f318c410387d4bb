package io.crossover.driver;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.crossover.data.Json;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.ObjectiveConfig;
import io.crossover.executor.model.ModelSize;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Batch;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.optim.AdamW;
import io.crossover.executor.train.TrainStep;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code crossover bench step}: training throughput of a model shape on this machine, as tokens/s
 * and model FLOP/s, next to the FLOP/s of a large square matrix product in the same libtorch —
 * their ratio is the CPU "MFU" — and the MDM/AR step-time ratio.
 */
@Command(
    name = "step",
    mixinStandardHelpOptions = true,
    description = "Forward+backward+AdamW throughput and MFU vs a square matmul, AR and MDM.")
final class StepBench implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--preset", description = "Model shape (model.preset).")
  String preset;

  @Option(
      names = "--objective",
      defaultValue = "both",
      description =
          "ar, mdm, both (default), or arms separated by commas, e.g. ar,ar+mask0.15,mdm.")
  String objective;

  @Option(
      names = "--seq-len",
      defaultValue = "256",
      description = "Tokens per sequence (default ${DEFAULT-VALUE}).")
  int seqLen;

  @Option(
      names = "--batch",
      defaultValue = "16",
      description = "Sequences per step (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(
      names = "--steps",
      defaultValue = "10",
      description = "Timed steps per objective (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(
      names = "--matmul",
      defaultValue = "1024",
      description = "Side of the square matmul baseline (default ${DEFAULT-VALUE}).")
  int matmul;

  @Option(
      names = "--json",
      description = "Print one JSON object with every figure as the last line.")
  boolean json;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (batch < 1 || steps < 1 || seqLen < 2 || matmul < 1) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(),
          "--batch, --steps and --matmul must be >= 1 and --seq-len >= 2 (got --batch "
              + batch
              + ", --steps "
              + steps
              + ", --seq-len "
              + seqLen
              + ", --matmul "
              + matmul
              + ")");
    }
    List<String> names =
        objective.equals("both") ? List.of("ar", "mdm") : List.of(objective.split(","));
    Map<String, ObjectiveConfig> arms = new LinkedHashMap<>();
    for (String name : names) {
      try {
        arms.put(
            name,
            io.crossover.data.config.ConfigLoader.load(null, List.of("objective.type=" + name))
                .objective());
      } catch (io.crossover.data.config.ConfigException e) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(),
            "--objective "
                + name
                + " is not an objective: ar, mdm, an AR arm such as ar+mask0.15, or both");
      }
    }
    CrossoverConfig c =
        config.load(new ConfigOptions.Sugar().put("--preset", "model.preset", preset));
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(c.train().threads()));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    int vocab = 259;
    double flopsPerToken = ModelSize.trainingFlopsPerToken(c.model(), vocab, seqLen);
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("preset", c.model().preset());
    f.put("parameters", ModelSize.parameters(c.model(), vocab));
    f.put("seq_len", seqLen);
    f.put("batch", batch);
    f.put("threads", c.train().threads());
    ai.djl.Device device =
        io.crossover.executor.device.Devices.select(c.train().device(), List.of());
    f.put("device", device.toString());
    try (NDManager manager = NDManager.newBaseManager(device)) {
      double matmulFlops = matmulFlops(manager);
      f.put("matmul_flops_per_s", matmulFlops);
      for (Map.Entry<String, ObjectiveConfig> arm : arms.entrySet()) {
        String name = arm.getKey();
        double seconds = stepSeconds(c, arm.getValue(), batch, seqLen, steps, manager);
        double tokensPerS = (double) batch * seqLen / seconds;
        f.put(name + "_step_s", seconds);
        f.put(name + "_tokens_per_s", tokensPerS);
        f.put(name + "_model_flops_per_s", tokensPerS * flopsPerToken);
        f.put(name + "_mfu", tokensPerS * flopsPerToken / matmulFlops);
      }
      if (f.containsKey("mdm_step_s") && f.containsKey("ar_step_s")) {
        f.put("mdm_vs_ar_step_time", (double) f.get("mdm_step_s") / (double) f.get("ar_step_s"));
      }
    }
    System.out.printf(
        Locale.ROOT,
        "model %s (%,d params), seq-len %d, batch %d, %s, %d thread(s); matmul %dx%d: %.2f"
            + " GFLOP/s%n",
        c.model().preset(),
        (long) f.get("parameters"),
        seqLen,
        batch,
        f.get("device"),
        c.train().threads(),
        matmul,
        matmul,
        (double) f.get("matmul_flops_per_s") / 1e9);
    System.out.printf(
        Locale.ROOT,
        "%-12s %12s %14s %16s %8s%n",
        "obj",
        "step (ms)",
        "tokens/s",
        "model GFLOP/s",
        "MFU");
    for (String name : arms.keySet()) {
      if (f.containsKey(name + "_step_s")) {
        System.out.printf(
            Locale.ROOT,
            "%-12s %12.1f %,14.0f %16.2f %8.3f%n",
            name,
            (double) f.get(name + "_step_s") * 1e3,
            (double) f.get(name + "_tokens_per_s"),
            (double) f.get(name + "_model_flops_per_s") / 1e9,
            (double) f.get(name + "_mfu"));
      }
    }
    if (f.containsKey("mdm_vs_ar_step_time")) {
      System.out.printf(
          Locale.ROOT, "MDM / AR step time: %.3f%n", (double) f.get("mdm_vs_ar_step_time"));
    }
    if (json) {
      System.out.println(Json.line(f));
    }
    return 0;
  }

  /** Median seconds per training step (forward, backward, clip, AdamW) after 3 warm-up steps. */
  static double stepSeconds(
      CrossoverConfig c,
      ObjectiveConfig objective,
      int batch,
      int seqLen,
      int steps,
      NDManager manager) {
    Objective obj = Objective.of(objective, 257);
    try (Transformer model = new Transformer(c.model(), 259, 1, manager);
        AdamW adam = new AdamW(c.optim(), model.params(), manager)) {
      TrainStep step = new TrainStep(model, obj, adam, 1.0);
      SplittableRandom random = new SplittableRandom(1);
      double[] times = new double[steps];
      for (int s = -3; s < steps; s++) {
        int[][] tokens = new int[batch][seqLen];
        for (int[] row : tokens) {
          for (int i = 0; i < seqLen; i++) {
            row[i] = random.nextInt(256);
          }
        }
        long start = System.nanoTime();
        try (NDManager scratch = manager.newSubManager()) {
          Batch b =
              obj.prepare(tokens, Objective.noise(1, 0, s + 3), Objective.noise(1, -1, s + 3));
          step.forwardBackward(scratch, b);
          step.clipAndUpdate(scratch, 1e-4);
        }
        if (s >= 0) {
          times[s] = (System.nanoTime() - start) / 1e9;
        }
      }
      java.util.Arrays.sort(times);
      return times[steps / 2];
    }
  }

  /** Best FLOP/s of an n x n float32 matrix product over a few runs. */
  private double matmulFlops(NDManager manager) {
    try (NDManager m = manager.newSubManager()) {
      NDArray a = m.randomUniform(-1, 1, new Shape(matmul, matmul));
      NDArray b = m.randomUniform(-1, 1, new Shape(matmul, matmul));
      double best = Double.MAX_VALUE;
      for (int i = 0; i < 6; i++) {
        long start = System.nanoTime();
        try (NDArray product = a.matMul(b)) {
          product.getFloat(0, 0);
        }
        best = Math.min(best, (System.nanoTime() - start) / 1e9);
      }
      return 2.0 * matmul * matmul * matmul / best;
    }
  }
}
