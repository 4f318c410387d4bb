package io.crossover.driver.process;

import java.lang.management.ManagementFactory;

/**
 * How many libtorch threads a command that shares the machine should take: the cores it has idle
 * now. On a 2-core machine already running a sweep, a 2-thread evaluation scored the same items in
 * 122 s where 1 thread took 62 s (the threads wait on each other's time slices); on an idle one, 2
 * threads took 25 s and 1 took 42 s.
 */
public final class IdleCores {
  private IdleCores() {}

  /** The cores less the one-minute load average, rounded, at least 1 (all cores where unknown). */
  public static int now() {
    int cores = Runtime.getRuntime().availableProcessors();
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    if (load < 0) {
      return cores;
    }
    return (int) Math.max(1, Math.min(cores, Math.round(cores - load)));
  }
}
