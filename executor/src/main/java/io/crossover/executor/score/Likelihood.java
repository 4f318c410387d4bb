package io.crossover.executor.score;

import java.util.List;

/** Negative log-likelihood of continuations given a context (exact, or a bound with its noise). */
public interface Likelihood {
  /**
   * Per continuation: its NLL in nats (or an estimate of a bound on it) and the estimate's standard
   * error (0 when it is exact).
   */
  record Scores(double[] nll, double[] se) {}

  /** Scores each continuation after {@code context}; {@code seed} fixes any noise. */
  Scores score(int[] context, List<int[]> continuations, long seed);

  /** What the scores are, for reports: exact, a bound, or another model's likelihood. */
  default String describe() {
    return getClass().getSimpleName();
  }

  /** The NLLs alone. */
  default double[] nll(int[] context, List<int[]> continuations, long seed) {
    return score(context, continuations, seed).nll();
  }
}
