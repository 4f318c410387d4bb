package io.crossover.driver.report.render;

import io.crossover.data.config.Counts;
import io.crossover.data.stats.LawFit;
import io.crossover.driver.report.Comparison;
import io.crossover.driver.report.Findings;
import io.crossover.driver.report.Report;
import io.crossover.driver.report.ReuseLaws;
import io.crossover.driver.report.Row;
import io.crossover.driver.report.RunResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report as the console shows it: one line per row with the claims and their intervals, what
 * makes no claim and why, the task's audit and scorers, and the findings last.
 */
public final class ConsoleTable {
  private ConsoleTable() {}

  /** The summary as a plain-text table, then what is left out and why, then the findings. */
  public static String render(Report report) {
    String metric = report.metric();
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "Crossover report: %d comparison(s) of an AR arm with MDM; claims on the final"
                + " evaluation of %s %s, MDM - AR with 95%% intervals (items paired by id,"
                + " documents resampled, seeds by t)%s%n",
            report.comparisons().size(),
            report.primary() == null ? "(no task)" : report.primary(),
            metric,
            chance(report)));
    List<Map<String, String>> cells = new ArrayList<>();
    List<Map<String, Object>> rows = report.summary();
    @SuppressWarnings("unchecked")
    Map<String, Object> kinds =
        rows.isEmpty() ? Map.of() : (Map<String, Object>) rows.get(0).get("val_loss_kind");
    String arKind = String.valueOf(kinds.getOrDefault("ar", "loss")).toUpperCase(Locale.ROOT);
    String mdmKind = String.valueOf(kinds.getOrDefault("mdm", "loss")).toUpperCase(Locale.ROOT);
    for (Map<String, Object> s : rows) {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("model", (String) s.get("model"));
      m.put("unique", Counts.format((long) s.get("unique_tokens")));
      m.put("epochs", String.format(Locale.ROOT, "%.1f", (double) s.get("epochs")));
      m.put("arm", (String) s.get("arm"));
      m.put("seeds", s.get("seeds").toString());
      if (s.containsKey("verdict")) {
        m.put("items", String.valueOf(s.get("items")));
        m.put("AR " + metric + " [95% CI]", score(s.get("ar_score")));
        m.put("MDM " + metric + " [95% CI]", score(s.get("mdm_score")));
        m.put("above chance", aboveChance(s));
        m.put("MDM-AR [95% CI]", ci(s.get("difference")));
        m.put("detects", detects(s.get("detectable")));
        m.put("crossover", verdict(s));
        m.put("data potential", potentialText(s.get("data_potential")));
      }
      m.put(
          "AR val " + arKind + " (best)",
          meanSd(s.get("ar_val_loss")) + " (" + meanSd(s.get("ar_best_val_loss")) + ")");
      m.put("MDM val " + mdmKind, meanSd(s.get("mdm_val_loss")));
      m.put(mdmKind + "<" + arKind + " final", claimText(s.get("likelihood_weak")));
      m.put(mdmKind + "<" + arKind + " best", claimText(s.get("likelihood_strong")));
      cells.add(m);
    }
    if (!cells.isEmpty()) {
      List<String> columns = new ArrayList<>(cells.get(0).keySet());
      Map<String, Integer> width = new LinkedHashMap<>();
      for (String c : columns) {
        int w = c.length();
        for (Map<String, String> m : cells) {
          w = Math.max(w, m.getOrDefault(c, "").length());
        }
        width.put(c, w);
      }
      for (String c : columns) {
        out.append(String.format(Locale.ROOT, "%-" + width.get(c) + "s  ", c));
      }
      out.append('\n');
      for (Map<String, String> m : cells) {
        for (String c : columns) {
          out.append(
              String.format(Locale.ROOT, "%-" + width.get(c) + "s  ", m.getOrDefault(c, "")));
        }
        out.append('\n');
      }
    }
    for (Comparison c : report.comparisons()) {
      if (c.problem() != null) {
        out.append("  no claim for ")
            .append(c.row().pairs().get(0).ar().name())
            .append(" / ")
            .append(c.row().pairs().get(0).mdm().name())
            .append(": ")
            .append(c.problem())
            .append('\n');
      }
    }
    for (RunResult r : report.unpaired()) {
      out.append("  no partner for ").append(r.name()).append('\n');
    }
    for (RunResult r : report.excluded()) {
      out.append("  not compared: ")
          .append(r.name())
          .append(" (")
          .append(r.problem())
          .append(")\n");
    }
    if (report.primary() != null) {
      if (report.taskCheck().result() == null) {
        out.append("  ")
            .append(report.primary())
            .append(" was not audited: ")
            .append(report.taskCheck().why())
            .append('\n');
      } else if (report.taskCheck().failed()) {
        out.append("  ")
            .append(report.primary())
            .append(" FAILS its blind audit, so no downstream claim is made on it: ")
            .append(report.taskCheck().result().failures())
            .append('\n');
      } else {
        var best = report.taskCheck().result().best();
        out.append(
            String.format(
                Locale.ROOT,
                "  %s passes its blind audit: the best of its %d rules (surface and metadata) picks the answer in"
                    + " %.3f [%.3f, %.3f] of %,d items (chance %.3f)%n",
                report.primary(),
                report.taskCheck().result().rules().size(),
                best.accuracy().value(),
                best.accuracy().low(),
                best.accuracy().high(),
                report.taskCheck().result().items(),
                report.taskCheck().result().chance()));
      }
      if (!report.comparisons().isEmpty()) {
        Row first = report.comparisons().get(0).row();
        long step = report.comparisons().get(0).last().step();
        out.append("  choices scored by: AR ")
            .append(Row.at(first.pairs().get(0).ar(), step).scoring())
            .append("; MDM ")
            .append(Row.at(first.pairs().get(0).mdm(), step).scoring())
            .append('\n');
      }
    }
    out.append("Findings (each decided by rule from the intervals above):\n");
    for (Findings.Finding f : report.findings()) {
      out.append("  - ").append(f.text()).append('\n');
    }
    if (LawFigure.drawable(report.laws())) {
      out.append(law(report.laws()));
    }
    return out.toString();
  }

  /** The data-reuse law's fits, ratio and crossings, as a small table. */
  static String law(ReuseLaws laws) {
    StringBuilder out = new StringBuilder();
    out.append(
        "Data-reuse law (Muennighoff et al.), fitted per objective to the best validation loss so"
            + " far; 95% intervals from resampling seeds, validation documents and each"
            + " evaluation's residual:\n");
    laws.result()
        .fits()
        .forEach(
            (objective, fit) -> {
              out.append(String.format(Locale.ROOT, "  %-4s ", objective.toUpperCase(Locale.ROOT)));
              if (fit.law() == null) {
                out.append("no fit: ").append(fit.why()).append('\n');
                return;
              }
              out.append(
                  String.format(
                      Locale.ROOT,
                      "R* %s epochs, exponent %s, irreducible loss %s%s%n",
                      interval(fit.halfLife()),
                      interval(fit.exponent()),
                      interval(fit.floor()),
                      fit.identified() ? "" : " (R* not identified: " + fit.why() + ")"));
            });
    if (laws.ratio() != null) {
      out.append("  half-life ratio MDM / AR: ").append(interval(laws.ratio())).append('\n');
    }
    for (LawFit.Crossing c : laws.crossings()) {
      out.append(
          String.format(
              Locale.ROOT,
              "  U=%s, %s tokens: MDM's fitted loss reaches AR's fitted best (%.3f) at %s tokens;"
                  + " measured: %s%n",
              Counts.format((long) c.unique()),
              Counts.format((long) c.total()),
              c.target(),
              tokens(c.predicted()),
              Double.isNaN(c.observed())
                  ? "not within the runs"
                  : Counts.approx(c.observed()) + " tokens"));
    }
    return out.toString();
  }

  private static String interval(LawFit.Interval i) {
    return i.text();
  }

  private static String tokens(LawFit.Interval i) {
    return String.format(
        Locale.ROOT, "%s [%s, %s]", count(i.value()), count(i.low()), count(i.high()));
  }

  private static String count(double v) {
    return Double.isInfinite(v) ? "never" : Double.isNaN(v) ? "n/a" : Counts.approx(v);
  }

  /** "; chance 0.250" from the first row that knows it, or "". */
  private static String chance(Report report) {
    for (Map<String, Object> s : report.summary()) {
      if (s.get("chance") instanceof Double c) {
        return String.format(Locale.ROOT, "; chance %.3f", c);
      }
    }
    return "";
  }

  /** An arm's score: "0.257 [0.226, 0.288]". */
  static String score(Object stat) {
    if (!(stat instanceof Map<?, ?> m) || m.get("value") == null) {
      return "-";
    }
    return String.format(
        Locale.ROOT,
        "%.3f [%s, %s]",
        (double) m.get("value"),
        plain(m.get("low")),
        plain(m.get("high")));
  }

  private static String plain(Object v) {
    return v == null ? "?" : String.format(Locale.ROOT, "%.3f", (double) v);
  }

  /** Which arms the task sees: "AR, MDM", "AR", "MDM", "neither" (or "?" without chance). */
  static String aboveChance(Map<String, Object> s) {
    Boolean ar = above(s.get("ar_score"));
    Boolean mdm = above(s.get("mdm_score"));
    if (ar == null || mdm == null) {
      return "?";
    }
    return ar && mdm ? "AR, MDM" : ar ? "AR" : mdm ? "MDM" : "neither";
  }

  private static Boolean above(Object score) {
    return score instanceof Map<?, ?> m ? (Boolean) m.get("above_chance") : null;
  }

  /** The smallest difference the row detects with 80% power: "±0.045". */
  static String detects(Object v) {
    return v instanceof Double d ? String.format(Locale.ROOT, "±%.3f", d) : "-";
  }

  @SuppressWarnings("unchecked")
  static String meanSd(Object stat) {
    if (!(stat instanceof Map<?, ?> m) || m.get("mean") == null) {
      return "-";
    }
    double mean = (double) m.get("mean");
    Object sd = m.get("sd");
    return sd == null
        ? String.format(Locale.ROOT, "%.3f", mean)
        : String.format(Locale.ROOT, "%.3f±%.3f", mean, (double) sd);
  }

  static String ci(Object interval) {
    if (!(interval instanceof Map<?, ?> m)) {
      return "-";
    }
    return String.format(
        Locale.ROOT,
        "%+.3f [%s, %s]",
        (double) m.get("value"),
        end(m.get("low"), "-inf"),
        end(m.get("high"), "+inf"));
  }

  /** An interval's end, or the unbounded side when it could not be bounded (null). */
  private static String end(Object v, String unbounded) {
    return v == null ? unbounded : String.format(Locale.ROOT, "%+.3f", (double) v);
  }

  static String verdict(Map<String, Object> s) {
    if (s.get("no_claim") != null) {
      return "no claim (see below)";
    }
    Comparison.Verdict verdict =
        Comparison.Verdict.valueOf(((String) s.get("verdict")).toUpperCase(Locale.ROOT));
    if (Boolean.FALSE.equals(s.get("crossover_measurable"))) {
      return "not measurable (" + (verdict == Comparison.Verdict.AR ? "AR" : "MDM") + " at chance)";
    }
    return switch (verdict) {
      case MDM -> {
        @SuppressWarnings("unchecked")
        Map<String, Object> x = (Map<String, Object>) s.get("crossover");
        yield String.format(
            Locale.ROOT,
            "MDM, from epoch %.1f (%s tokens)",
            (double) x.get("epoch"),
            Counts.format((long) x.get("tokens")));
      }
      case AR -> "AR wins (significant)";
      case NONE -> "no significant crossover";
    };
  }

  static String potentialText(Object p) {
    if (!(p instanceof Map<?, ?> m)) {
      return "-";
    }
    String bound = (String) m.get("bound");
    if (bound.equals("unknown")) {
      return "? (no larger AR run)";
    }
    String ratio = String.format(Locale.ROOT, "%.2fx", (double) m.get("ratio"));
    Object low = m.get("low");
    Object high = m.get("high");
    return (bound.equals("=") ? "" : bound + " ")
        + ratio
        + " ["
        + (low == null ? "?" : String.format(Locale.ROOT, "%.2f", (double) low))
        + ", "
        + (high == null
            ? "beyond the budgets]"
            : String.format(Locale.ROOT, "%.2f]", (double) high));
  }

  static String claimText(Object c) {
    if (!(c instanceof Map<?, ?> m)) {
      return "-";
    }
    return m.get("holds") + " " + ci(m);
  }
}
