package io.crossover.data.stats;

import org.apache.commons.math3.distribution.TDistribution;

/**
 * Student's t distribution, from Apache Commons Math. Intervals here are built from a handful of
 * seeds and a few dozen documents, where the normal quantile would be too narrow.
 */
public final class StudentT {
  private StudentT() {}

  /** P(T <= t) for {@code df} degrees of freedom (df may be fractional). */
  public static double cdf(double t, double df) {
    return of(df).cumulativeProbability(t);
  }

  /** The {@code p} quantile, 0 < p < 1. */
  public static double quantile(double p, double df) {
    if (!(p > 0 && p < 1)) {
      throw new IllegalArgumentException("probability must be in (0, 1): " + p);
    }
    return of(df).inverseCumulativeProbability(p);
  }

  /** The two-sided critical value: the (1 + level) / 2 quantile. */
  public static double critical(double level, double df) {
    return quantile(0.5 + level / 2, df);
  }

  private static TDistribution of(double df) {
    if (!(df > 0)) {
      throw new IllegalArgumentException("degrees of freedom must be > 0: " + df);
    }
    // No random generator: only the distribution's functions are used (and none is seeded).
    return new TDistribution(null, df, TDistribution.DEFAULT_INVERSE_ABSOLUTE_ACCURACY);
  }
}
