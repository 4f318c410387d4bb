package io.crossover.driver.report;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The bootstrap interval of a data potential: every run's final item outcomes (and the seeds) are
 * resampled together, AR's curve over the budgets and MDM's target are recomputed, and the
 * potential with them. A resample in which AR never reaches the target counts as beyond the largest
 * budget (an open upper end).
 */
final class Potentials {
  private static final int RESAMPLES = 1000;

  private Potentials() {}

  /** {low, high} of the 95% interval; high is +infinity when AR may never get there. */
  static double[] interval(List<Comparison> ladder, Comparison at, String metric) {
    SplittableRandom random = new SplittableRandom(at.row().group().hashCode());
    double[] budgets = new double[ladder.size()];
    for (int i = 0; i < budgets.length; i++) {
      budgets[i] = ladder.get(i).row().uniqueTokens();
    }
    double[] ratios = new double[RESAMPLES];
    for (int b = 0; b < RESAMPLES; b++) {
      double[] ar = new double[ladder.size()];
      for (int i = 0; i < ar.length; i++) {
        Comparison c = ladder.get(i);
        ar[i] = resampled(c.row().items(false, c.task(), metric, c.last().step()), random);
      }
      double target = resampled(at.row().items(true, at.task(), metric, at.last().step()), random);
      if (Double.isNaN(target) || Arrays.stream(ar).anyMatch(Double::isNaN)) {
        return new double[] {Double.NaN, Double.NaN};
      }
      Crossovers.Potential p =
          Crossovers.dataPotential(budgets, ar, target, at.row().uniqueTokens());
      ratios[b] = p.bound().equals(">") ? Double.POSITIVE_INFINITY : p.ratio();
    }
    Arrays.sort(ratios);
    return new double[] {
      ratios[(int) Math.floor(0.025 * (RESAMPLES - 1))],
      ratios[(int) Math.ceil(0.975 * (RESAMPLES - 1))]
    };
  }

  /** Mean over resampled seeds of the mean over resampled items. */
  private static double resampled(List<double[]> seeds, SplittableRandom random) {
    if (seeds == null || seeds.isEmpty()) {
      return Double.NaN;
    }
    double sum = 0;
    for (int s = 0; s < seeds.size(); s++) {
      double[] x = seeds.get(seeds.size() == 1 ? 0 : random.nextInt(seeds.size()));
      double inner = 0;
      for (int i = 0; i < x.length; i++) {
        inner += x[random.nextInt(x.length)];
      }
      sum += inner / x.length;
    }
    return sum / seeds.size();
  }
}
