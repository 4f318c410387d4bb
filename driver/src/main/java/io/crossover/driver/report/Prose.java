package io.crossover.driver.report;

import io.crossover.data.config.Counts;
import io.crossover.data.stats.Clustered;
import io.crossover.data.stats.Estimate;
import io.crossover.data.stats.LawFit;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How findings write numbers and where they were measured: one place, so that every sentence and
 * report.json say them the same way.
 */
final class Prose {
  private Prose() {}

  /** "+0.012 [-0.020, +0.044]". */
  static String ci(Estimate d) {
    return String.format(Locale.ROOT, "%+.3f [%+.3f, %+.3f]", d.value(), d.low(), d.high());
  }

  /** A score: "0.257 [0.226, 0.288]". */
  static String score(ArmScore s) {
    Estimate e = s.score();
    return String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", e.value(), e.low(), e.high());
  }

  /** A fitted quantity with three significant figures: "12.3 [8.1, 19]". */
  static String interval(LawFit.Interval i) {
    return i.text();
  }

  /** "0.250". */
  static String chance(ArmScore s) {
    return String.format(Locale.ROOT, "%.3f", s.chance());
  }

  /**
   * "5 seeds", or below the seeds a claim about the objectives needs, what the interval covers
   * instead: "1 seed: the models trained, not the objectives".
   */
  static String seeds(int seeds) {
    String n = seeds + " seed" + (seeds == 1 ? "" : "s");
    return seeds >= Clustered.OBJECTIVE_SEEDS ? n : n + ": the models trained, not the objectives";
  }

  /** "at 16Ki unique tokens (64 epochs; mini, 3 seeds, 1,000 items from 25 documents)". */
  static String where(Comparison c, Estimate d) {
    return at(
        c, String.format(Locale.ROOT, "; %,d items from %d documents", d.items(), d.clusters()));
  }

  /** "at 16Ki unique tokens (64 epochs; mini, 3 seeds)". */
  static String budget(Comparison c) {
    return at(c, "");
  }

  /** The one template of where a comparison was measured, with {@code more} inside the brackets. */
  private static String at(Comparison c, String more) {
    return String.format(
        Locale.ROOT,
        "at %s unique tokens (%s; %s, %s%s)",
        Counts.format(c.row().uniqueTokens()),
        epochs(c.row().epochs()),
        c.row().model(),
        seeds(c.row().seeds()),
        more);
  }

  /** "64 epochs", "1 epoch", "2.50 epochs". */
  static String epochs(double e) {
    String n =
        e == Math.rint(e)
            ? String.format(Locale.ROOT, "%.0f", e)
            : String.format(Locale.ROOT, "%.2f", e);
    return n + (e == 1 ? " epoch" : " epochs");
  }

  /**
   * What a "not significant" finding could have seen: "; it detects a difference of ±0.045 or more
   * with 80% power".
   */
  static String detectable(Estimate d, String unit) {
    double x = d.detectable();
    return Double.isNaN(x)
        ? ""
        : String.format(
            Locale.ROOT,
            "; it detects a difference of ±%.3f%s or more with %.0f%% power",
            x,
            unit,
            100 * Clustered.POWER);
  }

  /** An interval as report.json writes it. */
  static Map<String, Object> interval(Estimate d) {
    if (d == null) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("value", d.value());
    m.put("low", finite(d.low()));
    m.put("high", finite(d.high()));
    m.put("seeds", d.seeds());
    m.put("items", d.items());
    m.put("documents", d.clusters());
    m.put("method", d.method());
    return m;
  }

  /** An arm's score as report.json writes it. */
  static Map<String, Object> score(ArmScore s, boolean includeChance) {
    if (s == null) {
      return null;
    }
    Map<String, Object> m = interval(s.score());
    if (includeChance) {
      m.put("chance", finite(s.chance()));
    }
    m.put("above_chance", Double.isNaN(s.chance()) ? null : s.aboveChance());
    return m;
  }

  static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
