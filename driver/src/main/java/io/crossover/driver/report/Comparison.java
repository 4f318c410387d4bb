package io.crossover.driver.report;

import io.crossover.data.stats.Clustered;
import io.crossover.data.stats.Estimate;
import io.crossover.executor.eval.EvalRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The claims one row supports, each with its 95% interval ({@link Clustered}: documents resampled,
 * the seeds' own spread at t with S - 1 degrees of freedom): the final scores of both arms over
 * seeds, their difference (MDM − AR) at every evaluation, paired item by item, whether MDM
 * significantly overtakes AR (and from when), the likelihood claims, and how AR's own loss and
 * score move past its best evaluation. Claims use the final evaluation, never the best of several
 * noisy ones; where a claim needs AR's best evaluation, it is chosen on the even-numbered
 * validation documents and measured on the odd-numbered ones, so that the choice does not flatter
 * it.
 *
 * @param row the runs
 * @param task the task compared (null when the runs have none)
 * @param metric acc, acc_norm or acc_mi
 * @param curve one point per common evaluation
 * @param verdict who leads significantly at the final evaluation, if anyone
 * @param crossover the point from which the seed-mean difference stays positive, when the verdict
 *     is {@code mdm}; else null
 * @param elboVsFinalNll MDM's final ELBO minus AR's final NLL, per validation sequence (negative:
 *     MDM's likelihood is better than that of AR as trained), or null
 * @param elboVsBestNll MDM's final ELBO minus AR's NLL at its best evaluation (negative: better
 *     than AR with early stopping), on the half of the documents the best was not chosen on, or
 *     null
 * @param arBestStep the step of AR's lowest seed-mean validation NLL on the selection half
 * @param arRise AR's final NLL minus its NLL at that best step, on the other half, or null
 * @param arScoreChange how AR's score moved from that best step to the end, on the items both
 *     evaluations scored, or null
 * @param problem why the row makes no claim (settings that differ, outcomes that cannot be paired),
 *     or null
 */
public record Comparison(
    Row row,
    String task,
    String metric,
    List<Point> curve,
    Verdict verdict,
    Point crossover,
    Estimate elboVsFinalNll,
    Estimate elboVsBestNll,
    long arBestStep,
    Estimate arRise,
    ScoreChange arScoreChange,
    String problem) {

  /** The nominal coverage of every interval. */
  static final double LEVEL = 0.95;

  /** Who leads at the final evaluation, by the 95% interval of MDM − AR. */
  public enum Verdict {
    /** The interval is above 0. */
    MDM,
    /** The interval is below 0. */
    AR,
    /** The interval contains 0, or the row makes no claim. */
    NONE;

    /** As report.json writes it. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One evaluation of both arms.
   *
   * @param step steps done
   * @param epoch tokens seen / unique tokens
   * @param tokens tokens seen
   * @param ar AR's metric, per seed
   * @param mdm MDM's metric, per seed
   * @param difference MDM − AR and its 95% interval, paired by item (null without item outcomes)
   * @param arScore AR's score on this evaluation's items, against chance (null without items)
   * @param mdmScore MDM's
   * @param common the same evaluation on the items every evaluation of the row scored: what curves
   *     are drawn from (null without items)
   * @param arLoss AR's validation loss per seed
   * @param mdmLoss MDM's validation loss per seed
   * @param arLossKind what AR's loss is, as its run recorded it ({@code nll})
   * @param mdmLossKind what MDM's is ({@code elbo})
   */
  public record Point(
      long step,
      double epoch,
      long tokens,
      double[] ar,
      double[] mdm,
      Estimate difference,
      ArmScore arScore,
      ArmScore mdmScore,
      Common common,
      double[] arLoss,
      double[] mdmLoss,
      String arLossKind,
      String mdmLossKind) {}

  /**
   * An evaluation on the items every evaluation of the row scored (the last may score more than
   * those before it): one item set for a whole curve.
   *
   * @param items how many
   * @param ar AR's score, against chance
   * @param mdm MDM's
   * @param difference MDM − AR, paired by item
   * @param arDeltaNll AR's delta-NLL per byte (right choice minus the wrong ones' mean), or null
   *     where the runs did not record it per item
   * @param mdmDeltaNll MDM's
   */
  public record Common(
      int items,
      ArmScore ar,
      ArmScore mdm,
      Estimate difference,
      Estimate arDeltaNll,
      Estimate mdmDeltaNll) {}

  /**
   * How AR's score moved from its best evaluation (by validation NLL) to the end, on the items both
   * scored.
   *
   * @param change its metric at the end minus at the best evaluation, 95% interval
   * @param atBest its score at the best evaluation on those items, against chance: a score that
   *     cannot be told from guessing cannot be seen to hold
   * @param deltaNll its delta-NLL per byte at the end minus at the best evaluation (negative: the
   *     right choice is told apart better), or null
   */
  public record ScoreChange(Estimate change, ArmScore atBest, Estimate deltaNll) {}

  /** The final evaluation. */
  public Point last() {
    return curve.get(curve.size() - 1);
  }

  /**
   * The arm a downstream reading of the final evaluation rests on: the one that leads
   * significantly, or where neither does, {@code claimed} (the arm the claim says should lead). A
   * reading is measurable only where this arm scores above chance.
   */
  public Verdict reads(Verdict claimed) {
    Estimate d = last().difference();
    return d.positive() ? Verdict.MDM : d.negative() ? Verdict.AR : claimed;
  }

  /** An arm's final score against chance (null without item outcomes). */
  public ArmScore score(Verdict arm) {
    return arm == Verdict.MDM ? last().mdmScore() : last().arScore();
  }

  /** Compares the row on a task's metric. */
  static Comparison of(Row row, String task, String metric) {
    String problem =
        row.differences().isEmpty()
            ? null
            : "the runs differ in more than the objective: " + String.join("; ", row.differences());
    List<Point> curve = new ArrayList<>();
    List<Long> steps = row.steps();
    Set<String> common = Set.of();
    if (task != null) {
      try {
        common = row.commonIds(task, steps);
      } catch (Row.Unpaired e) {
        // Said below, at the final evaluation.
      }
    }
    for (long step : steps) {
      Estimate d = null;
      ArmScore arScore = null;
      ArmScore mdmScore = null;
      Common onCommon = null;
      double[] ar = new double[0];
      double[] mdm = new double[0];
      if (task != null) {
        ar = row.metric(false, task, metric, step);
        mdm = row.metric(true, task, metric, step);
        try {
          Row.Items items = row.items(task, metric, step);
          d = Clustered.seedMean(differences(items.mdm(), items.ar()), items.clusters(), LEVEL);
          arScore = items.score(false);
          mdmScore = items.score(true);
          onCommon = common(row, task, metric, step, common);
        } catch (Row.Unpaired e) {
          if (step == steps.get(steps.size() - 1) && problem == null) {
            problem = e.getMessage();
          }
        }
      }
      EvalRecord a = Row.at(row.first(), step);
      EvalRecord m = Row.at(row.pairs().get(0).mdm(), step);
      curve.add(
          new Point(
              step,
              row.epochAt(step),
              a.tokensSeen(),
              ar,
              mdm,
              d,
              arScore,
              mdmScore,
              onCommon,
              row.loss(false, step),
              row.loss(true, step),
              a.valLossKind(),
              m.valLossKind()));
    }
    Point last = curve.isEmpty() ? null : curve.get(curve.size() - 1);
    Verdict verdict = Verdict.NONE;
    Point crossover = null;
    if (problem == null && last != null && last.difference() != null) {
      if (last.difference().positive()) {
        verdict = Verdict.MDM;
        // Where MDM stays ahead, read on one item set throughout (the last evaluation may score
        // more items than those before it).
        double[] a = new double[curve.size()];
        double[] m = new double[curve.size()];
        for (int i = 0; i < curve.size(); i++) {
          Point p = curve.get(i);
          a[i] = p.common() == null ? Clustered.mean(p.ar()) : p.common().ar().score().value();
          m[i] = p.common() == null ? Clustered.mean(p.mdm()) : p.common().mdm().score().value();
        }
        int i = Crossovers.crossoverIndex(a, m);
        crossover = i < 0 ? last : curve.get(i);
      } else if (last.difference().negative()) {
        verdict = Verdict.AR;
      }
    }
    Likelihood l = problem == null && last != null ? likelihood(row, steps) : Likelihood.NONE;
    ScoreChange change =
        problem == null && task != null && l.bestStep >= 0 && l.bestStep != last.step()
            ? scoreChange(row, task, metric, l.bestStep, last.step())
            : null;
    return new Comparison(
        row,
        task,
        metric,
        curve,
        verdict,
        crossover,
        l.elboVsFinalNll,
        l.elboVsBestNll,
        l.bestStep,
        l.rise,
        change,
        problem);
  }

  /** An evaluation on the row's common items, or null when there are none. */
  private static Common common(Row row, String task, String metric, long step, Set<String> ids) {
    if (ids.isEmpty()) {
      return null;
    }
    Row.Items items = row.items(task, metric, step).only(ids);
    Estimate arDelta = null;
    Estimate mdmDelta = null;
    try {
      Row.Items delta = row.items(task, "delta_nll_per_byte", step).only(ids);
      arDelta = Clustered.seedMean(delta.ar(), delta.clusters(), LEVEL);
      mdmDelta = Clustered.seedMean(delta.mdm(), delta.clusters(), LEVEL);
    } catch (Row.Unpaired e) {
      // Records without per-item delta-NLL: the curves of the metric still stand.
    }
    return new Common(
        items.ids().size(),
        items.score(false),
        items.score(true),
        Clustered.seedMean(differences(items.mdm(), items.ar()), items.clusters(), LEVEL),
        arDelta,
        mdmDelta);
  }

  /** The likelihood claims and AR's rise past its best evaluation. */
  private record Likelihood(
      Estimate elboVsFinalNll, Estimate elboVsBestNll, long bestStep, Estimate rise) {
    static final Likelihood NONE = new Likelihood(null, null, -1, null);
  }

  private static Likelihood likelihood(Row row, List<Long> steps) {
    long lastStep = steps.get(steps.size() - 1);
    Row.Sequences fin;
    try {
      fin = row.sequences(lastStep);
    } catch (Row.Unpaired e) {
      return Likelihood.NONE;
    }
    Estimate elboVsFinalNll =
        Clustered.seedMean(differences(fin.mdm(), fin.ar()), fin.clusters(), LEVEL);
    // AR's best evaluation, chosen on the even-numbered documents only.
    long best = -1;
    double lowest = Double.POSITIVE_INFINITY;
    for (long step : steps) {
      Row.Sequences even;
      try {
        even = row.sequences(step).half(true);
      } catch (Row.Unpaired e) {
        continue;
      }
      if (even.docs().length == 0) {
        continue;
      }
      double v = 0;
      for (double[] x : even.ar()) {
        v += Clustered.mean(x) / even.ar().size();
      }
      if (v < lowest) {
        lowest = v;
        best = step;
      }
    }
    Row.Sequences odd = fin.half(false);
    if (best < 0 || odd.docs().length == 0) {
      return new Likelihood(elboVsFinalNll, null, best, null);
    }
    Row.Sequences atBest = row.sequences(best).half(false);
    if (!Arrays.equals(atBest.docs(), odd.docs())) {
      // Validated on other sequences at the best step than at the end: nothing to pair.
      return new Likelihood(elboVsFinalNll, null, best, null);
    }
    Estimate elboVsBestNll =
        Clustered.seedMean(differences(odd.mdm(), atBest.ar()), odd.clusters(), LEVEL);
    Estimate rise =
        best == lastStep
            ? null
            : Clustered.seedMean(differences(odd.ar(), atBest.ar()), odd.clusters(), LEVEL);
    return new Likelihood(elboVsFinalNll, elboVsBestNll, best, rise);
  }

  /** How AR's score moved from {@code from} to {@code to}, on the items both evaluations scored. */
  private static ScoreChange scoreChange(Row row, String task, String metric, long from, long to) {
    Set<String> both;
    try {
      both = row.commonIds(task, List.of(from, to));
    } catch (Row.Unpaired e) {
      return null;
    }
    if (both.isEmpty()) {
      return null;
    }
    Row.Items atBest = row.items(task, metric, from).only(both);
    Estimate change = arChange(row, task, metric, from, to, both);
    Estimate deltaNll;
    try {
      deltaNll = arChange(row, task, "delta_nll_per_byte", from, to, both);
    } catch (Row.Unpaired e) {
      deltaNll = null;
    }
    return new ScoreChange(change, atBest.score(false), deltaNll);
  }

  /** AR's {@code metric} at {@code to} minus at {@code from}, item by item, on {@code ids}. */
  private static Estimate arChange(
      Row row, String task, String metric, long from, long to, Set<String> ids) {
    Row.Items a = row.items(task, metric, from).only(ids);
    Row.Items b = row.items(task, metric, to).only(ids);
    Map<String, Integer> at = new HashMap<>();
    for (int i = 0; i < a.ids().size(); i++) {
      at.put(a.ids().get(i), i);
    }
    List<double[]> change = new ArrayList<>();
    for (int s = 0; s < b.ar().size(); s++) {
      double[] d = new double[b.ids().size()];
      for (int k = 0; k < d.length; k++) {
        d[k] = b.ar().get(s)[k] - a.ar().get(s)[at.get(b.ids().get(k))];
      }
      change.add(d);
    }
    return Clustered.seedMean(change, b.clusters(), LEVEL);
  }

  /** Per seed, x - y item by item. */
  static List<double[]> differences(List<double[]> x, List<double[]> y) {
    List<double[]> out = new ArrayList<>();
    for (int s = 0; s < x.size(); s++) {
      double[] d = new double[x.get(s).length];
      for (int i = 0; i < d.length; i++) {
        d[i] = x.get(s)[i] - y.get(s)[i];
      }
      out.add(d);
    }
    return out;
  }
}
