package io.crossover.data.stats;

import java.util.List;
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
 * @param parts the variance components the interval was built from, each with its degrees of
 *     freedom (empty where it was not built from any): what {@link #detectable()} and {@link
 *     #atLevel(double)} derive from
 */
public record Estimate(
    double value,
    double low,
    double high,
    double level,
    int seeds,
    int items,
    int clusters,
    String method,
    List<Clustered.Part> parts) {

  public Estimate {
    parts = List.copyOf(parts);
  }

  /** An estimate whose interval was not built from variance components. */
  public Estimate(
      double value,
      double low,
      double high,
      double level,
      int seeds,
      int items,
      int clusters,
      String method) {
    this(value, low, high, level, seeds, items, clusters, method, List.of());
  }

  /**
   * The smallest true value this interval would lie above 0 for with probability {@link
   * Clustered#POWER} ({@link Detectable}); NaN where the interval has no parts.
   */
  public double detectable() {
    return parts.isEmpty() ? Double.NaN : Detectable.of(parts, level, Clustered.POWER);
  }

  /** The same estimate with its interval at another level (from the same parts). */
  public Estimate atLevel(double other) {
    if (parts.isEmpty()) {
      throw new IllegalStateException("no variance parts to rebuild the interval from");
    }
    double h = Math.sqrt(Clustered.halfWidthSquared(parts, other));
    return new Estimate(value, value - h, value + h, other, seeds, items, clusters, method, parts);
  }

  /** The same estimate moved by {@code c} (e.g. chance added back to a score above chance). */
  public Estimate plus(double c) {
    return new Estimate(value + c, low + c, high + c, level, seeds, items, clusters, method, parts);
  }

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
