package io.crossover.driver.capacity;

import io.crossover.executor.precision.Precision;

/**
 * A device kind as the planner sees it: peak FLOP/s by precision (dense), memory bandwidth, and the
 * memory a rank has ({@code memoryBytes}, as the driver reports it; 0 where unknown).
 */
public record Device(
    String name, double fp32Flops, double bf16Flops, double memoryBytesPerS, long memoryBytes) {
  /**
   * Whether this is a GPU: the devices with memory of their own (a CPU rank's is the host's, 0).
   */
  public boolean gpu() {
    return memoryBytes > 0;
  }

  /** Peak FLOP/s for matrix products in {@code p}. */
  public double flops(Precision p) {
    return p == Precision.BF16 ? bf16Flops : fp32Flops;
  }
}
