package io.crossover.driver.capacity;

/** One run's estimate. */
public record Estimate(
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
