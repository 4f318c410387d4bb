package io.crossover.driver.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The bootstrap interval of a data potential: the task's source documents are resampled (one
 * resample shared by every run, since all scored the same items), AR's curve over the budgets and
 * MDM's target are recomputed from the seed-averaged items, and the potential with them. A resample
 * in which AR never reaches the target counts as beyond the largest budget (an open upper end). The
 * seeds are held fixed: the interval is over documents only.
 */
public final class Potentials {
  private static final int RESAMPLES = 1000;

  private Potentials() {}

  /**
   * A 95% interval of a data potential; NaN ends where it cannot be resampled.
   *
   * @param low its lower end
   * @param high its upper end, +infinity when AR may never get there
   */
  record Interval(double low, double high) {}

  /** The 95% interval of the data potential at {@code at} over the AR {@code ladder}. */
  static Interval interval(List<Comparison> ladder, Comparison at, String metric) {
    SplittableRandom random = new SplittableRandom(at.row().group().hashCode());
    double[] budgets = new double[ladder.size()];
    List<Seeded> ar = new ArrayList<>();
    for (int i = 0; i < budgets.length; i++) {
      Comparison c = ladder.get(i);
      budgets[i] = c.row().uniqueTokens();
      ar.add(Seeded.of(c.row().items(c.task(), metric, c.last().step()), false));
    }
    Row.Items atItems = at.row().items(at.task(), metric, at.last().step());
    Seeded target = Seeded.of(atItems, true);
    for (Comparison c : ladder) {
      if (!Objects.equals(
          c.row().items(c.task(), metric, c.last().step()).sha256(), atItems.sha256())) {
        // Budgets scored on different task files cannot share a resample of documents.
        return new Interval(Double.NaN, Double.NaN);
      }
    }
    LinkedHashSet<String> universe = new LinkedHashSet<>(target.documents);
    ar.forEach(s -> universe.addAll(s.documents));
    List<String> docs = new ArrayList<>(universe);
    double[] ratios = new double[RESAMPLES];
    for (int b = 0; b < RESAMPLES; b++) {
      Map<String, Integer> weight = new HashMap<>();
      for (int k = 0; k < docs.size(); k++) {
        weight.merge(docs.get(random.nextInt(docs.size())), 1, Integer::sum);
      }
      double[] curve = new double[ar.size()];
      for (int i = 0; i < curve.length; i++) {
        curve[i] = ar.get(i).mean(weight);
      }
      double t = target.mean(weight);
      if (Double.isNaN(t) || Arrays.stream(curve).anyMatch(Double::isNaN)) {
        ratios[b] = Double.NaN;
        continue;
      }
      Crossovers.Potential p = Crossovers.dataPotential(budgets, curve, t, at.row().uniqueTokens());
      ratios[b] = p.bound().equals(">") ? Double.POSITIVE_INFINITY : p.ratio();
    }
    double[] kept = Arrays.stream(ratios).filter(r -> !Double.isNaN(r)).sorted().toArray();
    if (kept.length == 0) {
      return new Interval(Double.NaN, Double.NaN);
    }
    return new Interval(
        kept[(int) Math.floor(0.025 * (kept.length - 1))],
        kept[(int) Math.ceil(0.975 * (kept.length - 1))]);
  }

  /** One arm's seed-averaged item outcomes and their documents. */
  private record Seeded(double[] values, List<String> documents) {
    static Seeded of(Row.Items items, boolean mdm) {
      List<double[]> seeds = mdm ? items.mdm() : items.ar();
      double[] avg = new double[items.ids().size()];
      for (double[] s : seeds) {
        for (int i = 0; i < avg.length; i++) {
          avg[i] += s[i] / seeds.size();
        }
      }
      return new Seeded(avg, items.documents());
    }

    /** The mean with each item weighted by how often its document was drawn. */
    double mean(Map<String, Integer> weight) {
      double sum = 0;
      double w = 0;
      for (int i = 0; i < values.length; i++) {
        int k = weight.getOrDefault(documents.get(i), 0);
        sum += k * values[i];
        w += k;
      }
      return w == 0 ? Double.NaN : sum / w;
    }
  }
}
