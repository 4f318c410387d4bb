package io.crossover.driver.capacity;

import io.crossover.executor.precision.Precision;

/** A device kind as the planner sees it: peak FLOP/s by precision (dense), memory bandwidth. */
public record Device(String name, double fp32Flops, double bf16Flops, double memoryBytesPerS) {
  /** Peak FLOP/s for matrix products in {@code p}. */
  public double flops(Precision p) {
    return p == Precision.BF16 ? bf16Flops : fp32Flops;
  }
}
