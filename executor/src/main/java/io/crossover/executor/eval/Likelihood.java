package io.crossover.executor.eval;

import java.util.List;

/** Negative log-likelihood of continuations given a context (exact, or a bound). */
public interface Likelihood {
  /** NLL (nats) of each continuation after {@code context}; {@code seed} fixes any noise. */
  double[] nll(int[] context, List<int[]> continuations, long seed);
}
