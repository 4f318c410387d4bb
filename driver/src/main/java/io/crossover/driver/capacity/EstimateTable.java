package io.crossover.driver.capacity;

import io.crossover.data.config.Counts;
import io.crossover.data.config.CrossoverConfig;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** The estimate of a sweep as a table: one row per run, then the totals. */
public final class EstimateTable {
  private EstimateTable() {}

  public static void print(
      PrintStream console,
      String sweep,
      List<Estimate> out,
      List<CrossoverConfig> configs,
      Device gpu,
      StepTimeModel model,
      double[] cpu) {
    boolean onGpu = gpu != null;
    double network = model.network();
    double eff = model.eff();
    double latencyMicros = model.latencyMicros();
    console.printf(
        Locale.ROOT,
        "sweep %s on %s; network %.0f Gbit/s per rank, %.0f us per message; matrix products at"
            + " %.0f%% of peak%s%n",
        sweep,
        onGpu ? gpu.name() + " GPUs (one per rank)" : "CPU ranks",
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
    console.printf(
        Locale.ROOT,
        "%-28s %10s %10s %9s %9s %9s %6s %12s %12s %10s%s%n",
        "run",
        "steps",
        "step (s)",
        "compute",
        "memory",
        "network",
        "MFU",
        "wall-clock",
        onGpu ? "GPU-hours" : "core-hours",
        "GiB/rank",
        onGpu ? "  fits" : "");
    double total = 0;
    double wall = 0;
    boolean over = false;
    for (Estimate e : out) {
      console.printf(
          Locale.ROOT,
          "%-28s %10s %10.3f %9.3f %9.3f %9.3f %6.2f %12s %12.1f %10.1f%s%n",
          e.name(),
          Counts.grouped(e.steps()),
          e.stepSeconds(),
          e.computeSeconds(),
          e.memorySeconds(),
          e.exposedNetworkSeconds(),
          e.mfu(),
          duration(e.wallSeconds()),
          e.deviceHours(),
          e.deviceBytes() / (double) (1L << 30),
          onGpu ? (e.deviceBytes() <= gpu.memoryBytes() ? "   yes" : "    NO") : "");
      over |= onGpu && e.deviceBytes() > gpu.memoryBytes();
      total += e.deviceHours();
      wall += e.wallSeconds();
    }
    console.printf(
        Locale.ROOT,
        "total: %d run(s), %s one after another, %.0f %s%n",
        out.size(),
        duration(wall),
        total,
        onGpu ? "GPU-hours" : "core-hours");
    if (onGpu) {
      MemoryAdvice.Advice advice =
          over
              ? MemoryAdvice.of(out, configs, gpu, model.vocab())
              : new MemoryAdvice.Advice(null, List.of());
      console.printf(
          Locale.ROOT,
          "fits: the planned memory of a rank against the %s's %.1f GiB, before the CUDA context"
              + " and the allocator's slack%s%n",
          gpu.name(),
          gpu.memoryBytes() / (double) (1L << 30),
          advice.needLess() != null ? "; runs marked NO need less: " + advice.needLess() : "");
      for (String line : advice.lines()) {
        console.println(line);
      }
    }
  }

  /** A duration as people read it: seconds, minutes, hours or days. */
  public static String duration(double seconds) {
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
