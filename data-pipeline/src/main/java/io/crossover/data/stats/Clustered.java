package io.crossover.data.stats;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Intervals for means over items that come in clusters (the documents they were taken from) and,
 * for comparisons of trained models, over the seeds the models were trained with.
 *
 * <p>Items from one document are not independent, so the item part of a variance is the
 * cluster-robust (CR1) variance over documents: what resampling whole documents estimates, computed
 * exactly instead of by resampling. Its critical value is Student's t with G - 1 degrees of freedom
 * for G documents.
 *
 * <p>Every seed of a comparison scores the same items, so item effects are shared by the seeds and
 * do not average out over them; what does is each seed's own spread. {@link #contrast} splits the
 * variance of a seed-mean accordingly:
 *
 * <ul>
 *   <li>the <b>seed part</b>, s²/S from the S per-seed means (it holds the seed-to-seed variation
 *       and each seed's own item noise), with the critical value of t at S - 1 degrees of freedom,
 *       honest at 2-5 seeds where a bootstrap over 3 values is not;
 *   <li>the <b>shared item part</b>, the cluster-robust variance of the seed-averaged items minus
 *       the per-seed noise the seed part already holds (estimated from each seed's deviation from
 *       the seed average), at t with G - 1 degrees of freedom;
 * </ul>
 *
 * and combines their half-widths as a root sum of squares. With one seed there is no seed part: the
 * interval is over items only and covers the difference of <i>these</i> trained models on the
 * population of items, not the spread another seed would add. In a contrast of groups (e.g. the
 * lead of one model size minus another's) a group with one seed borrows the seed-to-seed variance
 * pooled over the groups that have several. The coverage of this construction is checked by
 * simulation at 1, 3 and 5 seeds, and for a contrast of 5 seeds with 1 (IntervalCoverageTest).
 */
public final class Clustered {
  private Clustered() {}

  /** The method, as reports print it. */
  public static final String METHOD =
      "seed-level t (S-1 df) combined with the document-cluster item variance (G-1 df)";

  /** Cluster labels as dense indices 0..G-1, in order of first appearance. */
  public static int[] dense(List<String> labels) {
    Map<String, Integer> index = new HashMap<>();
    int[] out = new int[labels.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = index.computeIfAbsent(labels.get(i), k -> index.size());
    }
    return out;
  }

  /** Number of distinct clusters in dense labels. */
  public static int count(int[] cluster) {
    int g = 0;
    for (int c : cluster) {
      g = Math.max(g, c + 1);
    }
    return g;
  }

  /** The mean of {@code y} with its interval at {@code level}, items clustered by document. */
  public static Estimate mean(double[] y, int[] cluster, double level) {
    check(y, cluster);
    int g = count(cluster);
    double m = mean(y);
    double v = cr1(y, cluster, g);
    double h = g < 2 ? Double.POSITIVE_INFINITY : StudentT.critical(level, g - 1) * Math.sqrt(v);
    return new Estimate(m, m - h, m + h, level, 0, y.length, g, "document-cluster t (G-1 df)");
  }

  /**
   * One group of seeds in a contrast: the per-item values of each seed (all aligned to the same
   * items) and the group's weight in the contrast.
   *
   * @param weight e.g. +1 for the only group of a difference, +1 and -1 for a difference of two
   *     differences
   * @param seeds per seed, one value per item (e.g. MDM's outcome minus AR's on that item)
   */
  public record Group(double weight, List<double[]> seeds) {
    public Group {
      seeds = List.copyOf(seeds);
      if (seeds.isEmpty()) {
        throw new IllegalArgumentException("a group needs at least one seed");
      }
    }
  }

  /** The seed-mean of one group's per-item values: a paired difference, for example. */
  public static Estimate seedMean(List<double[]> seeds, int[] cluster, double level) {
    return contrast(List.of(new Group(1, seeds)), cluster, level);
  }

  /**
   * Σ_g weight_g × (mean over g's seeds of the mean over items), with its interval at {@code
   * level}.
   */
  public static Estimate contrast(List<Group> groups, int[] cluster, double level) {
    int n = cluster.length;
    int g = count(cluster);
    double[] y = new double[n];
    int seeds = 0;
    // Per group: the variance of its seed means, and the per-seed item noise in one seed mean.
    double[] seedVariance = new double[groups.size()];
    double[] noise = new double[groups.size()];
    for (int k = 0; k < groups.size(); k++) {
      Group group = groups.get(k);
      int s = group.seeds().size();
      seeds += s;
      double[] avg = new double[n];
      double[] means = new double[s];
      for (int j = 0; j < s; j++) {
        double[] x = group.seeds().get(j);
        check(x, cluster);
        means[j] = mean(x);
        for (int i = 0; i < n; i++) {
          avg[i] += x[i] / s;
        }
      }
      for (int i = 0; i < n; i++) {
        y[i] += group.weight() * avg[i];
      }
      if (s >= 2 && g >= 2) {
        seedVariance[k] = variance(means);
        double sum = 0;
        for (double[] x : group.seeds()) {
          double[] r = new double[n];
          for (int i = 0; i < n; i++) {
            r[i] = x[i] - avg[i];
          }
          sum += cr1(r, cluster, g) / s;
        }
        // Deviations from the seed average lose one seed's worth of spread.
        noise[k] = sum * s / (s - 1);
      }
    }
    double value = mean(y);
    if (g < 2) {
      // One document: no item variance can be estimated, so nothing can be bounded.
      return new Estimate(
          value,
          Double.NEGATIVE_INFINITY,
          Double.POSITIVE_INFINITY,
          level,
          seeds,
          n,
          g,
          "no interval: every item comes from one document");
    }
    // The seed-to-seed part of the groups with several seeds, pooled, for groups with one.
    double pooled = 0;
    int pooledDf = 0;
    for (int k = 0; k < groups.size(); k++) {
      int s = groups.get(k).seeds().size();
      if (s >= 2) {
        pooled += (s - 1) * Math.max(0, seedVariance[k] - noise[k]);
        pooledDf += s - 1;
      }
    }
    pooled = pooledDf == 0 ? 0 : pooled / pooledDf;
    double seedPart = 0;
    double perSeedNoise = 0;
    boolean borrowed = false;
    for (int k = 0; k < groups.size(); k++) {
      Group group = groups.get(k);
      int s = group.seeds().size();
      double w2 = group.weight() * group.weight();
      if (s >= 2) {
        double t = StudentT.critical(level, s - 1);
        seedPart += w2 * t * t * seedVariance[k] / s;
        perSeedNoise += w2 * noise[k] / s;
      } else if (pooledDf > 0) {
        // One seed shows no spread of its own: it borrows the other groups' seed-to-seed
        // variance (its own item noise stays in the item part).
        double t = StudentT.critical(level, pooledDf);
        seedPart += w2 * t * t * pooled;
        borrowed = true;
      }
    }
    double shared = Math.max(0, cr1(y, cluster, g) - perSeedNoise);
    double tItems = StudentT.critical(level, g - 1);
    double h = Math.sqrt(seedPart + tItems * tItems * shared);
    String method =
        seeds == groups.size()
            ? "document-cluster t (G-1 df), one seed per arm: over items, for the models trained"
            : borrowed ? METHOD + "; one-seed groups borrow the pooled seed variance" : METHOD;
    return new Estimate(value, value - h, value + h, level, seeds, n, g, method);
  }

  /** The CR1 variance of mean(y): documents' summed deviations, scaled by G / (G - 1). */
  static double cr1(double[] y, int[] cluster, int g) {
    if (g < 2) {
      return Double.POSITIVE_INFINITY;
    }
    double m = mean(y);
    double[] sums = new double[g];
    for (int i = 0; i < y.length; i++) {
      sums[cluster[i]] += y[i] - m;
    }
    double s = 0;
    for (double v : sums) {
      s += v * v;
    }
    double n = y.length;
    return (double) g / (g - 1) * s / (n * n);
  }

  static double mean(double[] x) {
    double s = 0;
    for (double v : x) {
      s += v;
    }
    return x.length == 0 ? Double.NaN : s / x.length;
  }

  /** Sample variance (n - 1). */
  static double variance(double[] x) {
    double m = mean(x);
    double s = 0;
    for (double v : x) {
      s += (v - m) * (v - m);
    }
    return s / (x.length - 1);
  }

  private static void check(double[] y, int[] cluster) {
    if (y.length != cluster.length) {
      throw new IllegalArgumentException(y.length + " values vs " + cluster.length + " clusters");
    }
    if (y.length == 0) {
      throw new IllegalArgumentException("no items");
    }
  }
}
