package io.crossover.driver.report.render;

import io.crossover.data.config.Counts;
import io.crossover.data.stats.Estimate;
import io.crossover.driver.report.Comparison;
import io.crossover.driver.report.Report;
import io.crossover.driver.report.ReuseLaws;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * The figures' captions, generated from the numbers they show: a caption says what is drawn and,
 * where it reads something off the data, says it only as far as the intervals go.
 */
final class Captions {
  private Captions() {}

  static String figureA(Report report) {
    String primary = report.primary();
    StringBuilder out = new StringBuilder("Figure A: per comparison, ");
    if (primary != null) {
      out.append(primary)
          .append(' ')
          .append(report.metric())
          .append(
              " against epochs with each arm's 95% interval and chance (dashed), and MDM − AR with"
                  + " its 95% interval, ")
          .append(itemSets(report))
          .append("; ");
    }
    Comparison.Point last = report.comparisons().get(0).last();
    String ar = kind(last.arLossKind());
    String mdm = kind(last.mdmLossKind());
    return out.append(
            String.format(
                Locale.ROOT,
                "the validation loss as each run recorded it (AR's %s and MDM's %s%s), bands the"
                    + " seeds' range.",
                ar,
                mdm,
                ar.equals(mdm) ? "" : ": not the same quantity"))
        .toString();
  }

  /**
   * "both on the 250 items every evaluation scored (the findings use the final evaluation's
   * 1,000)".
   */
  private static String itemSets(Report report) {
    TreeSet<Integer> curve = new TreeSet<>();
    TreeSet<Integer> last = new TreeSet<>();
    for (Comparison c : report.comparisons()) {
      if (c.last().common() != null) {
        curve.add(c.last().common().items());
      }
      if (c.last().difference() != null) {
        last.add(c.last().difference().items());
      }
    }
    if (curve.isEmpty()) {
      return "banded by the seeds' range (the runs recorded no item outcomes)";
    }
    String n = curve.size() == 1 ? String.format(Locale.ROOT, "%,d", curve.first()) : "";
    String text = "both on the " + (n.isEmpty() ? "" : n + " ") + "items every evaluation scored";
    return curve.equals(last)
        ? text
        : text
            + " (the findings use the final evaluation's "
            + (last.size() == 1 ? String.format(Locale.ROOT, "%,d", last.first()) + " " : "")
            + "items)";
  }

  /**
   * What the delta-NLL figure shows, and for each row where AR's validation loss rose past its best
   * evaluation, how AR's delta-NLL per byte moved meanwhile, as far as its interval says.
   */
  static String deltaNll(Report report) {
    List<String> moves = new ArrayList<>();
    for (Comparison c : report.comparisons()) {
      if (c.arRise() == null
          || !c.arRise().positive()
          || c.arScoreChange() == null
          || c.arScoreChange().deltaNll() == null) {
        continue;
      }
      Estimate d = c.arScoreChange().deltaNll();
      String reading =
          d.negative()
              ? "the right choice is told apart better"
              : d.positive() ? "the right choice is told apart worse" : "no significant change";
      moves.add(
          String.format(
              Locale.ROOT,
              "at %s unique tokens (%s, %s), AR's validation %s rises by %+.3f [%+.3f, %+.3f] nats"
                  + " from its best evaluation to the end while its delta-NLL per byte changes by"
                  + " %+.4f [%+.4f, %+.4f]: %s",
              Counts.format(c.row().uniqueTokens()),
              c.row().model(),
              c.row().arm(),
              kind(c.last().arLossKind()),
              c.arRise().value(),
              c.arRise().low(),
              c.arRise().high(),
              d.value(),
              d.low(),
              d.high(),
              reading));
    }
    String what =
        "Delta-NLL per byte (the right choice's NLL minus the wrong ones' mean; lower: told apart"
            + " better) against epochs, each arm with its 95% interval, on the items every"
            + " evaluation scored.";
    return moves.isEmpty()
        ? what + " In no comparison does AR's validation loss rise significantly past its best."
        : what + " " + capital(String.join("; ", moves)) + ".";
  }

  static String byBudget(Report report) {
    return String.format(
        Locale.ROOT,
        "Final %s %s against unique tokens, per model and AR arm, each arm with its 95%% interval"
            + " (the findings' construction) and chance (dashed).",
        report.primary(),
        report.metric());
  }

  /** A loss kind as the runs recorded it, as prose writes it. */
  /** The data-reuse law figure, from what was fitted. */
  static String reuseLaw(ReuseLaws laws) {
    StringBuilder out =
        new StringBuilder(
            "Each budget's seed-mean best validation loss so far (points: AR's NLL, MDM's ELBO)"
                + " against tokens seen, and Muennighoff et al.'s data-constrained law fitted per"
                + " objective (lines), with R* and its 95% interval from resampling seeds,"
                + " validation documents and each evaluation's residual.");
    laws.result()
        .fits()
        .forEach(
            (objective, fit) -> {
              if (!fit.identified()) {
                out.append(' ')
                    .append(objective.toUpperCase(Locale.ROOT))
                    .append("'s R* is not identified: ")
                    .append(fit.why())
                    .append('.');
              }
            });
    out.append(
        " The points along one run's learning-rate schedule stand in for runs trained to each"
            + " length, whose rate would have decayed by then.");
    return out.toString();
  }

  private static String kind(String k) {
    return k == null ? "loss" : k.toUpperCase(Locale.ROOT);
  }

  private static String capital(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
