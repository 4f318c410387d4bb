package io.crossover.executor.eval;

import io.crossover.data.config.EvalConfig;
import io.crossover.data.plan.TokenPlan;
import java.util.TreeSet;

/** The steps (steps done, 0 = before training) at which a run evaluates. */
public final class EvalSchedule {
  private EvalSchedule() {}

  /**
   * Start and end, every epoch boundary, every N tokens, evenly spaced minimum points, and points
   * evenly spaced in log tokens from the first epoch's end.
   */
  public static TreeSet<Long> steps(TokenPlan plan, EvalConfig config) {
    TreeSet<Long> steps = new TreeSet<>();
    long total = plan.steps();
    long perStep = plan.tokensPerStep();
    long unique = plan.spec().uniqueTokens();
    steps.add(0L);
    steps.add(total);
    for (long s = 1; s <= total; s++) {
      long before = (s - 1) * perStep;
      long after = s * perStep;
      if (config.everyEpoch() && after / unique > before / unique) {
        steps.add(s);
      }
      if (config.everyTokens() > 0
          && after / config.everyTokens() > before / config.everyTokens()) {
        steps.add(s);
      }
    }
    for (int i = 1; i <= config.minPoints(); i++) {
      steps.add(Math.round((double) i * total / config.minPoints()));
    }
    long first = Math.min(total, Math.max(1, (unique + perStep - 1) / perStep));
    int n = config.logPoints();
    for (int i = 0; i < n && total > 0; i++) {
      double at = n == 1 ? total : first * Math.pow((double) total / first, i / (double) (n - 1));
      steps.add(Math.min(total, Math.max(1, Math.round(at))));
    }
    return steps;
  }
}
