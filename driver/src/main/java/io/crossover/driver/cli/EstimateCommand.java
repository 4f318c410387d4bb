package io.crossover.driver.cli;

import io.crossover.data.UserException;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.driver.capacity.Device;
import io.crossover.driver.capacity.Estimate;
import io.crossover.driver.capacity.EstimateTable;
import io.crossover.driver.capacity.Gpus;
import io.crossover.driver.capacity.StepTimeModel;
import io.crossover.driver.sweep.Sweep;
import io.crossover.driver.sweep.SweepSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code crossover estimate SWEEP}: step time, MFU, wall-clock and accelerator-hours of every run
 * of a sweep on a described cluster, by the planner of {@link StepTimeModel}.
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
      description = "GPU per rank: " + Gpus.NAMES + ". Without it, CPU ranks (--cpu-cores).")
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
          "Share of the peak FLOP/s the matrix products reach (default: 0.5 on GPUs; 0.65 of a"
              + " core's 1024^3 matmul rate on CPUs, fitted to bench step's FP32 steps).")
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
      throw new UserException(bad);
    }
  }

  @Override
  public Integer call() {
    checkOptions();
    SweepSpec spec = SweepSpec.load(sweep);
    boolean onGpu = gpu != null;
    double network = (networkGbits != null ? networkGbits : onGpu ? 400 : 10) * 1e9 / 8;
    double eff =
        efficiency != null
            ? efficiency
            : onGpu ? StepTimeModel.GPU_EFFICIENCY : StepTimeModel.CPU_EFFICIENCY;
    double[] cpu = cpuRates();
    StepTimeModel model = new StepTimeModel(vocab, network, latencyMicros, eff);
    List<Sweep.Point> points = Sweep.expand(spec, overrides);
    Device g = onGpu ? Gpus.of(gpu) : null;
    List<Estimate> out = new ArrayList<>();
    List<CrossoverConfig> configs = new ArrayList<>();
    for (Sweep.Point p : points) {
      CrossoverConfig c = p.config();
      Device d = onGpu ? g : cores(c) > 0 ? StepTimeModel.cpu(cores(c), cpu[0], cpu[1]) : null;
      out.add(model.estimate(p.name(), c, d));
      configs.add(c);
    }
    EstimateTable.print(System.out, spec.name(), out, configs, g, model, cpu);
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
    throw new UserException(
        "--cpu-flops " + cpuFlops + ": expected two FLOP/s > 0, FP32,bf16, such as 9e10,1.6e11");
  }
}
