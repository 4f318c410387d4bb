package io.crossover.driver.cli;

import io.crossover.data.config.Counts;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.driver.sweep.Sweep;
import io.crossover.driver.sweep.SweepSpec;
import io.crossover.executor.allreduce.BucketPlan;
import io.crossover.executor.model.Footprint;
import io.crossover.executor.model.ModelSize;
import io.crossover.executor.model.ParamLayout;
import io.crossover.executor.precision.Precision;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code crossover estimate SWEEP}: step time, MFU, wall-clock and accelerator-hours of every run
 * of a sweep on a described cluster, from the FLOPs and bytes the model moves. Compute: training
 * FLOPs per token at the device's peak rate for the precision times an efficiency. Memory traffic:
 * the saved activations written, read back and their gradients written once per step, at the
 * device's memory bandwidth. Network: a ring all-reduce moves 2 (W-1)/W of the gradients per rank,
 * overlapped with the backward pass except the last bucket.
 */
@Command(
    name = "estimate",
    mixinStandardHelpOptions = true,
    description =
        "Step time, MFU, wall-clock and accelerator-hours of a sweep on a described cluster.")
public final class EstimateCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "The sweep: a file or a name in conf/sweeps.")
  String sweep;

  @Option(
      names = "--gpu",
      description = "GPU per rank: " + Devices.NAMES + ". Without it, CPU ranks (--cpu-cores).")
  String gpu;

  @Option(
      names = "--cpu-cores",
      description = "CPU cores per rank (default: each run's train.threads).")
  Integer cpuCores;

  @Option(
      names = "--cpu-flops",
      description =
          "FP32 and bf16 matmul FLOP/s of one core, e.g. 9e10,2.5e11 (default: the bench step"
              + " figures of this project's reference CPU, printed).")
  String cpuFlops;

  @Option(
      names = "--network",
      description = "Network bandwidth per rank in Gbit/s (default: 400 for GPUs, 10 for CPUs).")
  Double networkGbits;

  @Option(
      names = "--latency-us",
      defaultValue = "50",
      description =
          "Latency of one ring message in microseconds (default ${DEFAULT-VALUE}: TCP; each"
              + " bucket takes 2 (W-1) messages in a row).")
  double latencyMicros;

  @Option(
      names = "--efficiency",
      description =
          "Share of the peak FLOP/s the matrix products reach (default: 0.5 on GPUs, 0.8 on"
              + " CPUs).")
  Double efficiency;

  @Option(
      names = "--vocab",
      defaultValue = "50304",
      description = "Vocabulary size (default ${DEFAULT-VALUE}).")
  int vocab;

  @Option(
      names = "--set",
      description = "KEY=VALUE applied to every run (e.g. cluster.world-size=32).")
  List<String> overrides = new ArrayList<>();

  /** A device kind: peak FLOP/s by precision (dense), memory bandwidth. */
  record Device(String name, double fp32Flops, double bf16Flops, double memoryBytesPerS) {
    double flops(Precision p) {
      return p == Precision.BF16 ? bf16Flops : fp32Flops;
    }
  }

  /** Published dense peaks (FP32 with TF32 where the GPU has it) and HBM bandwidth. */
  static final class Devices {
    static final String NAMES = "h100, a100, l40s, l4";

    static Device of(String name) {
      return switch (name.toLowerCase(Locale.ROOT)) {
        case "h100" -> new Device("H100 SXM", 494e12, 989e12, 3.35e12);
        case "a100" -> new Device("A100 SXM", 156e12, 312e12, 2.0e12);
        case "l40s" -> new Device("L40S", 183e12, 362e12, 0.864e12);
        case "l4" -> new Device("L4", 60e12, 121e12, 0.3e12);
        default ->
            throw new io.crossover.data.UserException(
                "--gpu " + name + " is not a GPU this planner knows; use one of " + NAMES);
      };
    }
  }

  /** Refuses option values that would price a run at negative or infinite time. */
  private void checkOptions() {
    String bad = null;
    if (networkGbits != null && !(networkGbits > 0)) {
      bad = "--network " + networkGbits + ": Gbit/s per rank must be > 0";
    } else if (!(latencyMicros >= 0)) {
      bad = "--latency-us " + latencyMicros + ": must be >= 0";
    } else if (efficiency != null && !(efficiency > 0 && efficiency <= 1)) {
      bad = "--efficiency " + efficiency + ": a share of the peak, in (0, 1]";
    }
    if (cpuCores != null) {
      Inputs.positive(cpuCores, "--cpu-cores", "cores per rank (leave it out for train.threads)");
    }
    Inputs.vocab(vocab, "--vocab");
    if (bad != null) {
      throw new io.crossover.data.UserException(bad);
    }
  }

  /** One run's estimate. */
  record Estimate(
      String name,
      long steps,
      double stepSeconds,
      double computeSeconds,
      double memorySeconds,
      double exposedNetworkSeconds,
      double mfu,
      double wallSeconds,
      double deviceHours,
      long deviceBytes) {}

  @Override
  public Integer call() {
    checkOptions();
    SweepSpec spec = SweepSpec.load(sweep);
    boolean onGpu = gpu != null;
    double network = (networkGbits != null ? networkGbits : onGpu ? 400 : 10) * 1e9 / 8;
    double eff = efficiency != null ? efficiency : onGpu ? 0.5 : 0.8;
    double[] cpu = cpuRates();
    List<Estimate> out = new ArrayList<>();
    for (Sweep.Point p : Sweep.expand(spec, overrides)) {
      CrossoverConfig c = p.config();
      Device d =
          onGpu
              ? Devices.of(gpu)
              : cores(c) > 0
                  ? new Device(
                      cores(c) + " CPU core(s)",
                      cores(c) * cpu[0],
                      cores(c) * cpu[1],
                      cores(c) * 10e9)
                  : null;
      out.add(estimate(p.name(), c, d, onGpu, network, eff));
    }
    print(spec, out, onGpu, network, eff, cpu);
    return 0;
  }

  private int cores(CrossoverConfig c) {
    return cpuCores != null ? cpuCores : c.train().threads();
  }

  /** FP32 and bf16 FLOP/s of one CPU core. */
  private double[] cpuRates() {
    if (cpuFlops == null) {
      // bench step, 1 thread, 1024^3 matmul, on the reference machine (Xeon with AMX): README.
      return new double[] {9.0e10, 1.6e11};
    }
    String[] parts = cpuFlops.split(",");
    try {
      double[] rates = {Double.parseDouble(parts[0]), Double.parseDouble(parts[parts.length - 1])};
      if (rates[0] > 0 && rates[1] > 0) {
        return rates;
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new io.crossover.data.UserException(
        "--cpu-flops " + cpuFlops + ": expected two FLOP/s > 0, FP32,bf16, such as 9e10,1.6e11");
  }

  Estimate estimate(
      String name, CrossoverConfig c, Device d, boolean onGpu, double network, double eff) {
    if (d == null) {
      throw new io.crossover.data.UserException(
          "run " + name + ": give --gpu KIND or --cpu-cores N (train.threads is 0)");
    }
    // Every GPU listed has bf16 tensor cores; CPU ranks are taken to be like the reference CPU.
    Precision precision = Precision.planned(c.train().precision(), true);
    int w = c.cluster().worldSize();
    int seqLen = c.budget().seqLen();
    long tokensPerStep = (long) c.budget().globalBatch() * seqLen;
    long steps = c.budget().totalTokens() / tokensPerStep;
    int perRank = c.sequencesPerRank();
    int micro = c.train().microBatchOf(perRank);
    double flopsPerRank =
        ModelSize.trainingFlopsPerToken(c.model(), vocab, seqLen) * tokensPerStep / w;
    double compute = flopsPerRank / (d.flops(precision) * eff);
    Footprint f =
        Footprint.of(c.model(), vocab, seqLen, micro, precision, c.train().attention(), w);
    // Activations written in forward, read in backward, their gradients written: three passes per
    // micro-batch, and the weights read once per micro-batch.
    double bytes =
        (perRank / micro)
            * (3.0 * (f.activations() + f.attentionScores() + f.logits()) + f.parameters());
    double memory = bytes / d.memoryBytesPerS();
    long p = ModelSize.parameters(c.model(), vocab);
    BucketPlan plan = BucketPlan.of(ParamLayout.of(c.model(), vocab), c.cluster().bucketBytes());
    double ring =
        w == 1
            ? 0
            : 2.0 * (w - 1) / w * 4.0 * p / network
                + 2.0 * (w - 1) * plan.buckets().size() * latencyMicros * 1e-6;
    double lastBucket =
        w == 1 ? 0 : ring * plan.buckets().get(plan.buckets().size() - 1).bytes() / (4.0 * p);
    double backward = (compute + memory) * 2 / 3;
    double exposed = w == 1 ? 0 : Math.max(lastBucket, ring - backward);
    double step = compute + memory + exposed;
    double mfu = flopsPerRank / (step * d.flops(precision));
    double wall = steps * step;
    return new Estimate(
        name, steps, step, compute, memory, exposed, mfu, wall, wall * w / 3600, f.device());
  }

  private void print(
      SweepSpec spec, List<Estimate> out, boolean onGpu, double network, double eff, double[] cpu) {
    System.out.printf(
        Locale.ROOT,
        "sweep %s on %s; network %.0f Gbit/s per rank, %.0f us per message; matrix products at"
            + " %.0f%% of peak%s%n",
        spec.name(),
        onGpu ? Devices.of(gpu).name() + " GPUs (one per rank)" : "CPU ranks",
        network * 8 / 1e9,
        latencyMicros,
        eff * 100,
        onGpu
            ? ""
            : String.format(
                Locale.ROOT,
                "; a core at %.0f GFLOP/s FP32, %.0f GFLOP/s bf16",
                cpu[0] / 1e9,
                cpu[1] / 1e9));
    System.out.printf(
        Locale.ROOT,
        "%-28s %10s %10s %9s %9s %9s %6s %12s %12s %10s%n",
        "run",
        "steps",
        "step (s)",
        "compute",
        "memory",
        "network",
        "MFU",
        "wall-clock",
        onGpu ? "GPU-hours" : "core-hours",
        "GiB/rank");
    double total = 0;
    double wall = 0;
    for (Estimate e : out) {
      System.out.printf(
          Locale.ROOT,
          "%-28s %10s %10.3f %9.3f %9.3f %9.3f %6.2f %12s %12.1f %10.1f%n",
          e.name(),
          Counts.grouped(e.steps()),
          e.stepSeconds(),
          e.computeSeconds(),
          e.memorySeconds(),
          e.exposedNetworkSeconds(),
          e.mfu(),
          duration(e.wallSeconds()),
          e.deviceHours(),
          e.deviceBytes() / (double) (1L << 30));
      total += e.deviceHours();
      wall += e.wallSeconds();
    }
    System.out.printf(
        Locale.ROOT,
        "total: %d run(s), %s one after another, %.0f %s%n",
        out.size(),
        duration(wall),
        total,
        onGpu ? "GPU-hours" : "core-hours");
  }

  static String duration(double seconds) {
    if (seconds < 120) {
      return String.format(Locale.ROOT, "%.0f s", seconds);
    }
    if (seconds < 7200) {
      return String.format(Locale.ROOT, "%.1f min", seconds / 60);
    }
    if (seconds < 3 * 86400) {
      return String.format(Locale.ROOT, "%.1f h", seconds / 3600);
    }
    return String.format(Locale.ROOT, "%.1f d", seconds / 86400);
  }
}
