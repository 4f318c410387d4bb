package io.crossover.driver.report;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Intervals for the paired difference MDM − AR: per item (or validation sequence) within a run,
 * combined with the spread across seeds by a two-level bootstrap — resample the seeds, then within
 * each resampled seed its items — so that one seed gives the item interval and several seeds add
 * their spread. Percentile intervals, seeded so that a report is the same each time it is drawn.
 */
public final class Intervals {
  /** Bootstrap resamples. */
  static final int RESAMPLES = 2000;

  private Intervals() {}

  /**
   * A difference and its 95% interval.
   *
   * @param value the mean over seeds of the mean paired difference
   * @param low 2.5th percentile
   * @param high 97.5th percentile
   * @param seeds seeds (pairs of runs) it is over
   * @param items items (or sequences) per seed
   */
  public record Difference(double value, double low, double high, int seeds, int items) {
    /** The interval excludes 0 on the positive side. */
    public boolean positive() {
      return low > 0;
    }

    /** The interval excludes 0 on the negative side. */
    public boolean negative() {
      return high < 0;
    }

    @Override
    public String toString() {
      return String.format(java.util.Locale.ROOT, "%+.3f [%+.3f, %+.3f]", value, low, high);
    }
  }

  /**
   * The paired difference {@code b - a}: per seed, arrays of per-item values of the same items in
   * the same order.
   */
  public static Difference paired(List<double[]> a, List<double[]> b, long seed) {
    int seeds = a.size();
    if (seeds == 0 || seeds != b.size()) {
      throw new IllegalArgumentException(seeds + " vs " + b.size() + " seeds");
    }
    double[][] d = new double[seeds][];
    double total = 0;
    for (int s = 0; s < seeds; s++) {
      if (a.get(s).length != b.get(s).length) {
        throw new IllegalArgumentException(
            "seed " + s + ": " + a.get(s).length + " vs " + b.get(s).length + " items");
      }
      d[s] = new double[a.get(s).length];
      for (int i = 0; i < d[s].length; i++) {
        d[s][i] = b.get(s)[i] - a.get(s)[i];
      }
      total += mean(d[s]);
    }
    double[] boot = new double[RESAMPLES];
    SplittableRandom random = new SplittableRandom(seed);
    for (int r = 0; r < RESAMPLES; r++) {
      double sum = 0;
      for (int s = 0; s < seeds; s++) {
        double[] x = d[seeds == 1 ? 0 : random.nextInt(seeds)];
        double inner = 0;
        for (int i = 0; i < x.length; i++) {
          inner += x[random.nextInt(x.length)];
        }
        sum += inner / x.length;
      }
      boot[r] = sum / seeds;
    }
    Arrays.sort(boot);
    return new Difference(
        total / seeds,
        boot[(int) Math.floor(0.025 * (RESAMPLES - 1))],
        boot[(int) Math.ceil(0.975 * (RESAMPLES - 1))],
        seeds,
        d[0].length);
  }

  static double mean(double[] x) {
    double s = 0;
    for (double v : x) {
      s += v;
    }
    return x.length == 0 ? Double.NaN : s / x.length;
  }

  /** Sample standard deviation (NaN for fewer than two values). */
  static double sd(double[] x) {
    if (x.length < 2) {
      return Double.NaN;
    }
    double m = mean(x);
    double s = 0;
    for (double v : x) {
      s += (v - m) * (v - m);
    }
    return Math.sqrt(s / (x.length - 1));
  }
}
