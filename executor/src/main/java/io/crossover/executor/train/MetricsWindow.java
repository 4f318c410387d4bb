package io.crossover.executor.train;

import io.crossover.data.plan.TokenPlan;
import io.crossover.executor.allreduce.GradientSync;

/**
 * The arithmetic behind a {@link StepMetrics} line: throughput, ETA, utilisation and time in
 * collectives over the steps since the last line.
 */
final class MetricsWindow {
  private final TokenPlan plan;
  private final Trainer.Rates rates;
  private final GradientSync sync;
  private final long fromStep;
  private final long start = System.nanoTime();
  private long windowStart = start;
  private long windowFrom;
  private long commFrom;
  private long waitFrom;

  /** A window opening now, before step {@code fromStep} runs. */
  MetricsWindow(TokenPlan plan, Trainer.Rates rates, GradientSync sync, long fromStep) {
    this.plan = plan;
    this.rates = rates;
    this.sync = sync;
    this.fromStep = fromStep;
    this.windowFrom = fromStep;
    this.commFrom = sync.commNanos();
    this.waitFrom = sync.waitNanos();
  }

  /**
   * The line for {@code stepsDone} steps done, the last one {@code last}; opens the next window.
   */
  StepMetrics close(long stepsDone, StepResult last, double lr, long skippedSteps) {
    long now = System.nanoTime();
    double window = (now - windowStart) / 1e9;
    long steps = stepsDone - windowFrom;
    double tokensPerS = steps * plan.tokensPerStep() / Math.max(window, 1e-9);
    double elapsed = (now - start) / 1e9;
    double eta = (plan.steps() - stepsDone) * elapsed / (stepsDone - fromStep);
    long tokensSeen = stepsDone * plan.tokensPerStep();
    double flopsPerS = tokensPerS * rates.flopsPerToken();
    StepMetrics line =
        new StepMetrics(
            stepsDone,
            plan.steps(),
            (double) tokensSeen / plan.spec().uniqueTokens(),
            tokensSeen,
            plan.spec().uniqueTokens(),
            last.loss(),
            lr,
            last.gradNorm(),
            tokensPerS,
            elapsed,
            eta,
            skippedSteps,
            (sync.commNanos() - commFrom) / 1e9 / steps,
            (sync.waitNanos() - waitFrom) / 1e9 / steps,
            flopsPerS,
            flopsPerS / rates.peakFlops());
    windowStart = now;
    windowFrom = stepsDone;
    commFrom = sync.commNanos();
    waitFrom = sync.waitNanos();
    return line;
  }
}
