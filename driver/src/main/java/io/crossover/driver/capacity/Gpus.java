package io.crossover.driver.capacity;

import io.crossover.data.UserException;
import io.crossover.executor.precision.Precision;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Published dense peaks (FP32 with TF32 where the GPU has it), HBM bandwidth, and the memory the
 * driver reports for the 80/48/24 GB cards (nvidia-smi's total, MiB).
 */
public final class Gpus {
  private Gpus() {}

  /** The GPUs the planner knows. */
  public static final String NAMES = "h100, a100, l40s, l4";

  /** The names in {@link #NAMES}, each what {@link #of} takes. */
  public static final List<String> KINDS = List.of(NAMES.split(", "));

  private static long mib(long n) {
    return n << 20;
  }

  /**
   * The known GPU whose product name (as nvidia-smi prints it, e.g. "NVIDIA H100 80GB HBM3") is
   * {@code productName}, if any.
   */
  public static Optional<Device> named(String productName) {
    String n = productName.toUpperCase(Locale.ROOT);
    if (n.contains("H100") && (n.contains("PCIE") || n.contains("NVL"))) {
      return Optional.empty(); // other clocks and peaks than the SXM part in the table
    }
    // L40S before L4, A100 not A10: the longer names first.
    for (String kind : List.of("H100", "A100", "L40S", "L4")) {
      if (n.matches(".*\\b" + kind + "\\b.*")) {
        return Optional.of(of(kind));
      }
    }
    return Optional.empty();
  }

  /**
   * The peak FLOP/s at {@code precision} of a host whose GPUs nvidia-smi names {@code
   * productNames}: known when they are all one kind in the table; NaN otherwise.
   */
  public static double hostPeak(List<String> productNames, Precision precision) {
    List<Optional<Device>> kinds = productNames.stream().map(Gpus::named).distinct().toList();
    return kinds.size() == 1 && kinds.get(0).isPresent()
        ? kinds.get(0).get().flops(precision)
        : Double.NaN;
  }

  /** The GPU called {@code name}; a user's mistake when it is unknown. */
  public static Device of(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "h100" -> new Device("H100 SXM", 494e12, 989e12, 3.35e12, mib(81_559));
      case "a100" -> new Device("A100 SXM", 156e12, 312e12, 2.0e12, mib(81_920));
      case "l40s" -> new Device("L40S", 183e12, 362e12, 0.864e12, mib(46_068));
      case "l4" -> new Device("L4", 60e12, 121e12, 0.3e12, mib(23_034));
      default ->
          throw new UserException(
              "--gpu " + name + " is not a GPU this planner knows; use one of " + NAMES);
    };
  }
}
