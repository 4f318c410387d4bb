package io.crossover.driver.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.sun.management.OperatingSystemMXBean;
import io.crossover.data.Json;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.ObjectiveConfig;
import io.crossover.data.config.TrainConfig;
import io.crossover.data.plan.Noise;
import io.crossover.driver.capacity.StepTimeModel;
import io.crossover.driver.process.Rss;
import io.crossover.executor.allreduce.GradientSync;
import io.crossover.executor.device.Devices;
import io.crossover.executor.device.OpTrace;
import io.crossover.executor.model.ModelSize;
import io.crossover.executor.model.Numerics;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Arms;
import io.crossover.executor.objective.Batch;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.optim.AdamW;
import io.crossover.executor.precision.Autocast;
import io.crossover.executor.precision.Precision;
import io.crossover.executor.train.StepPhases;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code crossover bench step}: training throughput of a model shape on this machine, per
 * objective, precision and attention kernel, as tokens/s and model FLOP/s next to the FLOP/s of a
 * large square matrix product in the same libtorch and precision (their ratio is the "MFU"), the
 * peak memory of a step, the MDM/AR step-time ratio and the bf16/FP32 speed-up. Settings are timed
 * in interleaved rounds, so that a shared machine's drift hits them alike.
 */
public final class StepBench {
  private final CrossoverConfig c;
  private final Map<String, ObjectiveConfig> arms;
  private final int seqLen;
  private final int batch;
  private final int steps;
  private final List<Precision> precisions;
  private final List<TrainConfig.Attention> attentions;
  private final int microBatch;
  private final int rounds;
  private final int matmul;
  private final boolean json;
  private final Path traces;

  /**
   * One measured setting: an arm in a precision with an attention setting, and the kernel that
   * setting runs here ({@code auto} resolved for the device, precision and length).
   */
  record Setting(
      String arm,
      ObjectiveConfig objective,
      Precision precision,
      TrainConfig.Attention attention,
      TrainConfig.Attention kernel,
      String key) {
    /** The kernel, and "(auto)" when the setting chose it. */
    String kernelLabel() {
      return kernel.label() + (attention == TrainConfig.Attention.AUTO ? " (auto)" : "");
    }
  }

  /**
   * The benchmark of these settings (the options of {@code crossover bench step}); with {@code
   * traces}, a directory, one more step of each setting is profiled and its traces kept there.
   */
  public StepBench(
      CrossoverConfig c,
      Map<String, ObjectiveConfig> arms,
      int seqLen,
      int batch,
      int steps,
      List<Precision> precisions,
      List<TrainConfig.Attention> attentions,
      int microBatch,
      int rounds,
      int matmul,
      boolean json,
      Path traces) {
    this.c = c;
    this.arms = arms;
    this.seqLen = seqLen;
    this.batch = batch;
    this.steps = steps;
    this.precisions = precisions;
    this.attentions = attentions;
    this.microBatch = microBatch;
    this.rounds = rounds;
    this.matmul = matmul;
    this.json = json;
    this.traces = traces;
  }

  /** Runs the benchmark: prints its table, and its figures as JSON when asked; returns 0. */
  public int run() {
    List<TrainConfig.Attention> kinds =
        attentions != null ? attentions : List.of(c.train().attention());
    // Before anything loads libtorch (selecting the device does): it reads them once, at load.
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(c.train().threads()));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    Device device = Devices.select(c.train().device(), List.of());
    List<Setting> settings = new ArrayList<>();
    for (Map.Entry<String, ObjectiveConfig> arm : arms.entrySet()) {
      for (Precision p : precisions) {
        for (TrainConfig.Attention kind : kinds) {
          String key =
              arm.getKey().replace('+', '_')
                  + "_"
                  + p.label()
                  + (kinds.size() > 1 ? "_" + kind.name().toLowerCase(Locale.ROOT) : "");
          boolean causal = Objective.describe(arm.getValue()).causal();
          TrainConfig.Attention kernel = Numerics.kernel(kind, device.isGpu(), p, seqLen, causal);
          settings.add(new Setting(arm.getKey(), arm.getValue(), p, kind, kernel, key));
        }
      }
    }
    int vocab = 259;
    double flopsPerToken = ModelSize.trainingFlopsPerToken(c.model(), vocab, seqLen);
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("preset", c.model().preset());
    f.put("parameters", ModelSize.parameters(c.model(), vocab));
    f.put("seq_len", seqLen);
    f.put("batch", batch);
    f.put("micro_batch", microBatch);
    f.put("threads", c.train().threads());
    f.put("rounds", rounds);
    f.put("device", device.toString());
    Map<String, OpProfile> profiles = new LinkedHashMap<>();
    try (NDManager manager = NDManager.newBaseManager(device)) {
      Map<Precision, Double> matmulRate = new LinkedHashMap<>();
      Map<Setting, Runner> runners = new LinkedHashMap<>();
      try {
        for (Setting s : settings) {
          Runner r = new Runner(c, s, batch, seqLen, microBatch, manager);
          runners.put(s, r);
          // Peak memory of one step above what the process held before it (the models alive).
          f.put(s.key() + "_step_peak_rss_bytes", r.peakBytes());
        }
        // Interleaved: each round times every setting (and the matmul rates) once, so that the
        // machine's drift hits all of them alike.
        Map<Setting, List<Double>> times = new LinkedHashMap<>();
        Map<Precision, List<Double>> matmuls = new LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
          for (Precision p : precisions) {
            matmuls.computeIfAbsent(p, k -> new ArrayList<>()).add(matmulSeconds(manager, p));
          }
          for (Setting s : settings) {
            times.computeIfAbsent(s, k -> new ArrayList<>()).addAll(runners.get(s).time(steps));
          }
        }
        for (Precision p : precisions) {
          double rate = 2.0 * matmul * matmul * matmul / Collections.min(matmuls.get(p));
          matmulRate.put(p, rate);
          f.put("matmul_" + p.label() + "_flops_per_s", rate);
        }
        for (Setting s : settings) {
          double seconds = median(times.get(s));
          double tokensPerS = (double) batch * seqLen / seconds;
          f.put(s.key() + "_attention", s.kernel().label());
          f.put(s.key() + "_step_s", seconds);
          f.put(s.key() + "_tokens_per_s", tokensPerS);
          f.put(
              s.key() + "_tokens_per_cpu_s",
              (double) batch
                  * seqLen
                  / median(runners.get(s).cpuSeconds.subList(2, runners.get(s).cpuSeconds.size())));
          f.put(s.key() + "_model_flops_per_s", tokensPerS * flopsPerToken);
          f.put(s.key() + "_mfu", tokensPerS * flopsPerToken / matmulRate.get(s.precision()));
          // What the planner predicts for this step at the matmul rates just measured.
          double planned =
              StepTimeModel.rankSeconds(
                      c.model(),
                      vocab,
                      seqLen,
                      batch,
                      microBatch > 0 ? microBatch : batch,
                      s.precision(),
                      s.kernel(),
                      c.train().recompute() == TrainConfig.Recompute.BLOCKS,
                      // The planner's Device, qualified: this file's Device is DJL's.
                      new io.crossover.driver.capacity.Device(
                          "this CPU",
                          matmulRate.get(s.precision()),
                          matmulRate.get(s.precision()),
                          c.train().threads() * StepTimeModel.CPU_BYTES_PER_S,
                          0),
                      StepTimeModel.CPU_EFFICIENCY)
                  .total();
          f.put(s.key() + "_planned_step_s", planned);
          f.put(s.key() + "_measured_vs_planned", seconds / planned);
        }
        if (traces != null) {
          // libtorch's profiler sets itself up on first use, inside the first trace: a throwaway
          // trace keeps that out of the first setting's figures.
          runners.get(settings.get(0)).profile(traces, "warm-up");
          for (Setting s : settings) {
            OpProfile profile = runners.get(s).profile(traces, s.key());
            profiles.put(s.key(), profile);
            for (Map.Entry<OpProfile.Group, Double> g : profile.groups().entrySet()) {
              f.put(
                  s.key() + "_profile_" + g.getKey().name().toLowerCase(Locale.ROOT) + "_s",
                  g.getValue());
            }
          }
        }
      } finally {
        runners.values().forEach(Runner::close);
      }
      for (Precision p : precisions) {
        for (TrainConfig.Attention kind : kinds) {
          String suffix =
              "_"
                  + p.label()
                  + (kinds.size() > 1 ? "_" + kind.name().toLowerCase(Locale.ROOT) : "");
          var split = Arms.split(arms, Objective::describe);
          String plain =
              split.baselines().entrySet().stream()
                  .filter(e -> Objective.describe(e.getValue()).control().isEmpty())
                  .map(Map.Entry::getKey)
                  .findFirst()
                  .orElse(null);
          if (split.subject() != null
              && plain != null
              && f.containsKey(split.subject().getKey() + suffix + "_step_s")
              && f.containsKey(plain + suffix + "_step_s")) {
            f.put(
                "mdm_vs_ar_step_time" + suffix,
                (double) f.get(split.subject().getKey() + suffix + "_step_s")
                    / (double) f.get(plain + suffix + "_step_s"));
          }
        }
      }
      if (precisions.contains(Precision.FP32) && precisions.contains(Precision.BF16)) {
        for (Setting s : settings) {
          if (s.precision() == Precision.BF16) {
            String fp32 = s.key().replace("_bf16", "_fp32");
            f.put(
                s.key().replace("_bf16", "") + "_bf16_vs_fp32_tokens_per_s",
                (double) f.get(s.key() + "_tokens_per_s") / (double) f.get(fp32 + "_tokens_per_s"));
          }
        }
      }
    }
    print(c, settings, f);
    if (!profiles.isEmpty()) {
      ProfileTable.print(profiles, traces);
    }
    if (json) {
      System.out.println(Json.line(f));
    }
    return 0;
  }

  private void print(CrossoverConfig c, List<Setting> settings, Map<String, Object> f) {
    System.out.printf(
        Locale.ROOT,
        "model %s (%,d params), seq-len %d, batch %d%s, %s, %d thread(s), %d interleaved round(s)"
            + " of %d steps%n",
        c.model().preset(),
        (long) f.get("parameters"),
        seqLen,
        batch,
        microBatch > 0 ? " in micro-batches of " + microBatch : "",
        f.get("device"),
        c.train().threads(),
        rounds,
        steps);
    for (Precision p : precisions) {
      System.out.printf(
          Locale.ROOT,
          "matmul %dx%d %s: %.2f GFLOP/s%n",
          matmul,
          matmul,
          p.label(),
          (double) f.get("matmul_" + p.label() + "_flops_per_s") / 1e9);
    }
    System.out.printf(
        Locale.ROOT,
        "%-26s %-20s %12s %14s %16s %8s %14s %12s %9s%n",
        "setting",
        "attention",
        "step (ms)",
        "tokens/s",
        "model GFLOP/s",
        "MFU",
        "step peak MiB",
        "planned (ms)",
        "measured/planned");
    for (Setting s : settings) {
      System.out.printf(
          Locale.ROOT,
          "%-26s %-20s %12.1f %,14.0f %16.2f %8.3f %14.1f %12.1f %9.2f%n",
          s.key(),
          s.kernelLabel(),
          (double) f.get(s.key() + "_step_s") * 1e3,
          (double) f.get(s.key() + "_tokens_per_s"),
          (double) f.get(s.key() + "_model_flops_per_s") / 1e9,
          (double) f.get(s.key() + "_mfu"),
          (long) f.get(s.key() + "_step_peak_rss_bytes") / 1048576.0,
          (double) f.get(s.key() + "_planned_step_s") * 1e3,
          (double) f.get(s.key() + "_measured_vs_planned"));
    }
    for (Map.Entry<String, Object> e : f.entrySet()) {
      if (e.getKey().startsWith("mdm_vs_ar") || e.getKey().endsWith("_vs_fp32_tokens_per_s")) {
        System.out.printf(Locale.ROOT, "%s: %.3f%n", e.getKey(), (double) e.getValue());
      }
    }
  }

  /**
   * Median seconds per training step of {@code c}'s model in its own precision, attention and
   * micro-batch, after warm-up steps (what {@code sweep} estimates run times from).
   */
  public static double stepSeconds(
      CrossoverConfig c,
      ObjectiveConfig objective,
      int batch,
      int seqLen,
      int steps,
      NDManager manager) {
    Numerics n = Numerics.of(c, manager.getDevice());
    TrainConfig.Attention kernel =
        n.kernel(
            manager.getDevice().isGpu(), n.train(), seqLen, Objective.describe(objective).causal());
    Setting s =
        new Setting(
            Objective.describe(objective).label(), objective, n.train(), n.attention(), kernel, "");
    try (Runner r = new Runner(c, s, batch, seqLen, c.train().microBatchOf(batch), manager)) {
      return median(r.time(steps));
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  /** A model, optimiser and data stream of one setting, kept between rounds. */
  static final class Runner implements AutoCloseable {
    private final NDManager manager;
    private final Objective objective;
    private final Transformer model;
    private final AdamW adam;
    private final StepPhases step;
    private final int batch;
    private final int seqLen;
    private final SplittableRandom random = new SplittableRandom(1);
    private long done;

    Runner(CrossoverConfig c, Setting s, int batch, int seqLen, int microBatch, NDManager manager) {
      this.manager = manager;
      this.batch = batch;
      this.seqLen = seqLen;
      this.objective = Objective.of(s.objective(), 257);
      this.model =
          new Transformer(
              c.model(),
              259,
              1,
              manager,
              new Numerics(
                  s.attention(),
                  s.precision(),
                  Precision.FP32,
                  c.train().recompute() == TrainConfig.Recompute.BLOCKS));
      this.adam = new AdamW(c.optim(), model.params(), manager);
      this.step = new StepPhases(model, objective, adam, 1.0, microBatch);
      // Warm-up: the first steps allocate the optimiser state and the allocator's pools.
      time(2);
    }

    /** Process CPU seconds of each step timed so far (every thread: libtorch's, the JVM's). */
    final List<Double> cpuSeconds = new ArrayList<>();

    /** Seconds of each of {@code n} training steps (forward, backward, clip, AdamW). */
    List<Double> time(int n) {
      List<Double> out = new ArrayList<>();
      OperatingSystemMXBean os =
          (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      for (int i = 0; i < n; i++) {
        int[][] tokens = randomTokens();
        long cpu = os.getProcessCpuTime();
        long start = System.nanoTime();
        one(tokens);
        out.add((System.nanoTime() - start) / 1e9);
        cpuSeconds.add((os.getProcessCpuTime() - cpu) / 1e9);
      }
      return out;
    }

    private void one(int[][] tokens) {
      one(tokens, null, null);
    }

    /**
     * One training step; with {@code pass} and {@code update}, its forward and backward traced to
     * the one and its clip and AdamW update to the other.
     */
    private void one(int[][] tokens, Path pass, Path update) {
      try (NDManager scratch = manager.newSubManager()) {
        Batch b = objective.prepare(tokens, Noise.of(1, 0, done), Noise.of(1, -1, done));
        GradientSync sync = GradientSync.singleRank();
        try (OpTrace trace = pass == null ? null : OpTrace.start(pass)) {
          step.accumulate(scratch, b, done, sync);
          sync.finish();
        }
        try (OpTrace trace = update == null ? null : OpTrace.start(update)) {
          step.clipAndUpdate(scratch, 1e-4);
        }
        done++;
      }
    }

    /** The op profile of one more step, its traces written to {@code dir} as KEY-pass.json etc. */
    OpProfile profile(Path dir, String key) {
      Path pass = dir.resolve(key + "-pass.json");
      Path update = dir.resolve(key + "-update.json");
      one(randomTokens(), pass, update);
      return OpProfile.of(pass, update);
    }

    private int[][] randomTokens() {
      int[][] tokens = new int[batch][seqLen];
      for (int[] row : tokens) {
        for (int j = 0; j < seqLen; j++) {
          row[j] = random.nextInt(256);
        }
      }
      return tokens;
    }

    /** The resident-set peak of one step above the resident set before it (Linux; else -1). */
    long peakBytes() {
      int[][] tokens = new int[batch][seqLen];
      long before = Rss.current();
      if (before < 0 || !Rss.resetPeak()) {
        one(tokens);
        return -1;
      }
      one(tokens);
      return Rss.peak() - before;
    }

    @Override
    public void close() {
      adam.close();
      model.close();
    }
  }

  /** Seconds of one n x n matrix product in {@code precision} (bf16 under autocast). */
  private double matmulSeconds(NDManager manager, Precision precision) {
    try (NDManager m = manager.newSubManager()) {
      NDArray a = m.randomUniform(-1, 1, new Shape(matmul, matmul));
      NDArray b = m.randomUniform(-1, 1, new Shape(matmul, matmul));
      NDArray one = m.ones(new Shape(1));
      double best = Double.MAX_VALUE;
      for (int i = 0; i < 4; i++) {
        long start = System.nanoTime();
        NDArray product;
        try (Autocast region = Autocast.open(manager.getDevice(), precision)) {
          product = a.matMul(b);
        }
        // Read back in FP32: DJL must never be asked the type of a bf16 tensor.
        try (NDArray read = product.mul(one)) {
          read.getFloat(0, 0);
        }
        best = Math.min(best, (System.nanoTime() - start) / 1e9);
        product.close();
      }
      return best;
    }
  }
}
