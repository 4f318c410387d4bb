package io.crossover.executor.optim;

import io.crossover.data.config.OptimConfig;

/**
 * Learning rate by step: linear warmup to the peak, then either cosine decay to the floor, or
 * warmup-stable-decay (hold the peak, then decay linearly to the floor over the last part).
 */
public record LrSchedule(OptimConfig config, long totalSteps) {

  /** The learning rate of optimiser step {@code step} (0-based). */
  public double at(long step) {
    double peak = config.lr();
    double floor = config.minLr();
    long warmup = Math.min(config.warmupSteps(), totalSteps);
    if (step < warmup) {
      return peak * (step + 1) / warmup;
    }
    long rest = Math.max(1, totalSteps - warmup);
    double progress = Math.min(1.0, (double) (step - warmup) / rest);
    return switch (config.schedule()) {
      case COSINE -> floor + 0.5 * (peak - floor) * (1 + Math.cos(Math.PI * progress));
      case WSD -> {
        long decaySteps = Math.round(config.decayFraction() * totalSteps);
        long decayStart = totalSteps - decaySteps;
        if (decaySteps == 0 || step < decayStart) {
          yield peak;
        }
        double into = (double) (step - decayStart + 1) / decaySteps;
        yield peak + (floor - peak) * Math.min(1.0, into);
      }
    };
  }
}
