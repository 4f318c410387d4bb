package io.crossover.driver.report;

import io.crossover.data.stats.Clustered;
import io.crossover.data.stats.Estimate;
import java.util.ArrayList;
import java.util.List;

/**
 * One arm's score on a task at one evaluation, with its 95% interval (the construction the
 * differences use: documents resampled, the seeds' spread at t), against what a blind guess scores.
 * A claim that needs this arm can only be read where its interval lies above chance: below that,
 * the task does not see the arm at all.
 *
 * @param score the arm's mean over its seeds and the items, with its interval
 * @param chance the mean over the items of 1 / choices (NaN where the runs did not record the
 *     choices)
 */
public record ArmScore(Estimate score, double chance) {

  /** The task sees this arm: its interval lies above chance (true where chance is not known). */
  public boolean aboveChance() {
    return Double.isNaN(chance) || score.low() > chance;
  }

  /**
   * The score of one arm's seeds on items with these chances. The interval is built on each item's
   * score minus its own chance (items with other numbers of choices have another), then chance is
   * added back.
   */
  static ArmScore of(List<double[]> seeds, double[] chance, int[] clusters) {
    boolean known = true;
    double sum = 0;
    for (double c : chance) {
      known &= !Double.isNaN(c);
      sum += c;
    }
    double mean = sum / chance.length;
    if (!known) {
      return new ArmScore(Clustered.seedMean(seeds, clusters, Comparison.LEVEL), Double.NaN);
    }
    List<double[]> above = new ArrayList<>();
    for (double[] s : seeds) {
      double[] d = new double[s.length];
      for (int i = 0; i < d.length; i++) {
        d[i] = s[i] - chance[i];
      }
      above.add(d);
    }
    return new ArmScore(Clustered.seedMean(above, clusters, Comparison.LEVEL).plus(mean), mean);
  }
}
