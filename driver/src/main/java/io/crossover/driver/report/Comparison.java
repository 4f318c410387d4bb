package io.crossover.driver.report;

import java.util.ArrayList;
import java.util.List;

/**
 * The claims one row supports, each with its interval: the final scores of both arms over seeds,
 * their paired difference (MDM − AR) at every evaluation, whether MDM significantly overtakes AR
 * (and from when), and the two likelihood claims. Claims use the final evaluation, never the best
 * of several noisy ones.
 *
 * @param row the runs
 * @param task the task compared (null when the runs have none)
 * @param metric acc, acc_norm or acc_mi
 * @param curve one point per common evaluation
 * @param verdict who leads significantly at the final evaluation, if anyone
 * @param crossover the point from which the seed-mean difference stays positive, when the verdict
 *     is {@code mdm}; else null
 * @param weak MDM's final ELBO minus AR's final NLL, per validation sequence (negative: MDM's
 *     likelihood is better than that of AR as trained), or null
 * @param strong MDM's final ELBO minus AR's NLL at its best evaluation (negative: better than AR
 *     with early stopping), or null
 * @param arBestStep the step of AR's lowest seed-mean validation NLL
 */
public record Comparison(
    Row row,
    String task,
    String metric,
    List<Point> curve,
    Verdict verdict,
    Point crossover,
    Intervals.Difference weak,
    Intervals.Difference strong,
    long arBestStep) {

  /** Who leads at the final evaluation, by the 95% interval of MDM − AR. */
  public enum Verdict {
    /** The interval is above 0. */
    MDM,
    /** The interval is below 0. */
    AR,
    /** The interval contains 0 (or there are no per-item outcomes). */
    NONE;

    /** As report.json writes it. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * One evaluation of both arms.
   *
   * @param step steps done
   * @param epoch tokens seen / unique tokens
   * @param tokens tokens seen
   * @param flops training FLOPs spent
   * @param ar AR's metric, per seed
   * @param mdm MDM's metric, per seed
   * @param difference MDM − AR and its 95% interval (null without per-item outcomes)
   * @param arLoss AR's validation NLL per seed
   * @param mdmLoss MDM's validation ELBO per seed
   */
  public record Point(
      long step,
      double epoch,
      long tokens,
      double flops,
      double[] ar,
      double[] mdm,
      Intervals.Difference difference,
      double[] arLoss,
      double[] mdmLoss) {}

  /** The final evaluation. */
  public Point last() {
    return curve.get(curve.size() - 1);
  }

  /** The FLOPs the runs recorded, else estimated from the shape with the byte vocabulary. */
  private static double flops(Row row, long step) {
    var e = Row.at(row.first(), step);
    if (e.trainingFlops() > 0) {
      return e.trainingFlops();
    }
    var c = row.first().config();
    return e.tokensSeen()
        * row.first().objective().trainingFlopsPerToken(c.model(), 259, c.budget().seqLen());
  }

  /** Compares the row on a task's metric. */
  static Comparison of(Row row, String task, String metric) {
    List<Point> curve = new ArrayList<>();
    long seed = row.group().hashCode() * 31L + row.arm().hashCode();
    for (long step : row.steps()) {
      Intervals.Difference d = null;
      double[] ar = new double[0];
      double[] mdm = new double[0];
      if (task != null) {
        List<double[]> a = row.items(false, task, metric, step);
        List<double[]> m = row.items(true, task, metric, step);
        d = a == null || m == null ? null : Intervals.paired(a, m, seed + step);
        ar = row.metric(false, task, metric, step);
        mdm = row.metric(true, task, metric, step);
      }
      curve.add(
          new Point(
              step,
              row.epochAt(step),
              Row.at(row.first(), step).tokensSeen(),
              flops(row, step),
              ar,
              mdm,
              d,
              row.loss(false, step),
              row.loss(true, step)));
    }
    Point last = curve.isEmpty() ? null : curve.get(curve.size() - 1);
    Verdict verdict = Verdict.NONE;
    Point crossover = null;
    if (last != null && last.difference() != null) {
      if (last.difference().positive()) {
        verdict = Verdict.MDM;
        double[] a = new double[curve.size()];
        double[] m = new double[curve.size()];
        for (int i = 0; i < curve.size(); i++) {
          a[i] = Intervals.mean(curve.get(i).ar());
          m[i] = Intervals.mean(curve.get(i).mdm());
        }
        int i = Crossovers.crossoverIndex(a, m);
        crossover = i < 0 ? last : curve.get(i);
      } else if (last.difference().negative()) {
        verdict = Verdict.AR;
      }
    }
    long bestStep = -1;
    double best = Double.POSITIVE_INFINITY;
    for (Point p : curve) {
      double v = Intervals.mean(p.arLoss());
      if (v < best) {
        best = v;
        bestStep = p.step();
      }
    }
    Intervals.Difference weak = null;
    Intervals.Difference strong = null;
    if (last != null) {
      List<double[]> mdmFinal = row.sequences(true, last.step());
      List<double[]> arFinal = row.sequences(false, last.step());
      List<double[]> arBest = bestStep < 0 ? null : row.sequences(false, bestStep);
      if (mdmFinal != null && arFinal != null) {
        weak = Intervals.paired(arFinal, mdmFinal, seed ^ 0x5EED);
      }
      if (mdmFinal != null && arBest != null) {
        strong = Intervals.paired(arBest, mdmFinal, seed ^ 0xBE57);
      }
    }
    return new Comparison(row, task, metric, curve, verdict, crossover, weak, strong, bestStep);
  }
}
