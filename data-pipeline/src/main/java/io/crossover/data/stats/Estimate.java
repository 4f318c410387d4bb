package io.crossover.data.stats;

import java.util.Locale;

/**
 * A number and its two-sided interval.
 *
 * @param value the point estimate
 * @param low the interval's lower end (-infinity when it cannot be bounded)
 * @param high the interval's upper end
 * @param level the interval's nominal coverage, e.g. 0.95
 * @param seeds training seeds (pairs of runs) behind it, summed over the groups of a contrast; 0
 *     where seeds do not apply
 * @param items items (or validation sequences) per seed
 * @param clusters source documents the items come from: what is resampled
 * @param method how the interval was made, in words
 */
public record Estimate(
    double value,
    double low,
    double high,
    double level,
    int seeds,
    int items,
    int clusters,
    String method) {

  /** The interval lies above 0. */
  public boolean positive() {
    return low > 0;
  }

  /** The interval lies below 0. */
  public boolean negative() {
    return high < 0;
  }

  /** The interval lies above {@code x}. */
  public boolean above(double x) {
    return low > x;
  }

  /** Half the interval's width. */
  public double halfWidth() {
    return (high - low) / 2;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%+.3f [%+.3f, %+.3f]", value, low, high);
  }
}
