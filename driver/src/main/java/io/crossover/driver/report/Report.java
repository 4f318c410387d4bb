package io.crossover.driver.report;

import io.crossover.data.Json;
import io.crossover.data.UserException;
import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.Counts;
import io.crossover.executor.objective.Objective;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The crossover report of a directory of runs (a sweep). Each AR arm is paired with its MDM twin
 * (the same name after the arm) over every seed; every claim carries a 95% interval of the paired
 * difference (over items within a run, combined with the spread over seeds) and is made on the
 * final evaluation: a crossover is claimed only where MDM's final lead is significant, and a
 * significant AR win is reported as such. Writes {@code report.html}, {@code report.json} and PNG
 * figures next to the runs; the summary also goes to the console.
 */
public final class Report {
  /** Settings that may differ within a matched pair. */
  static final Set<String> PAIR_KEYS = Set.of("run.name", "run.seed");

  private final List<Comparison> comparisons;
  private final List<RunResult> unpaired;
  private final List<RunResult> excluded;
  private final List<String> tasks;
  private final String metric;

  Report(List<RunResult> runs, String metric) {
    this.metric = metric;
    excluded = new ArrayList<>();
    unpaired = new ArrayList<>();
    // group -> arm -> seed -> run
    Map<String, Map<String, Map<Long, RunResult>>> groups = new TreeMap<>();
    for (RunResult r : runs) {
      if (r.problem() != null) {
        excluded.add(r);
        continue;
      }
      groups
          .computeIfAbsent(r.groupKey(), k -> new TreeMap<>())
          .computeIfAbsent(r.objective().name(), k -> new TreeMap<>())
          .put(r.seed(), r);
    }
    List<Row> rows = new ArrayList<>();
    for (var group : groups.entrySet()) {
      Map<Long, RunResult> diffusion = null;
      for (var arm : group.getValue().entrySet()) {
        if (arm.getValue().values().iterator().next().objective().family()
            == Objective.Family.DIFFUSION) {
          diffusion = arm.getValue();
        }
      }
      for (var arm : group.getValue().entrySet()) {
        RunResult any = arm.getValue().values().iterator().next();
        if (any.objective().family() == Objective.Family.DIFFUSION) {
          continue;
        }
        List<Row.Pair> pairs = new ArrayList<>();
        for (var seed : arm.getValue().entrySet()) {
          RunResult twin = diffusion == null ? null : diffusion.get(seed.getKey());
          if (twin == null) {
            unpaired.add(seed.getValue());
          } else {
            pairs.add(new Row.Pair(seed.getValue(), twin));
          }
        }
        if (!pairs.isEmpty()) {
          rows.add(
              new Row(
                  group.getKey(),
                  pairs,
                  differences(
                      ConfigLoader.toJson(pairs.get(0).ar().config()),
                      ConfigLoader.toJson(pairs.get(0).mdm().config()))));
        }
      }
      if (diffusion != null) {
        for (RunResult m : diffusion.values()) {
          boolean used =
              rows.stream().anyMatch(row -> row.pairs().stream().anyMatch(p -> p.mdm() == m));
          if (!used) {
            unpaired.add(m);
          }
        }
      }
    }
    rows.sort(
        Comparator.comparing(Row::model)
            .thenComparingLong(Row::uniqueTokens)
            .thenComparing(Row::arm));
    java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
    for (Row r : rows) {
      for (Row.Pair p : r.pairs()) {
        names.addAll(p.ar().tasks());
        names.addAll(p.mdm().tasks());
      }
    }
    tasks = new ArrayList<>(names);
    String task = tasks.isEmpty() ? null : tasks.get(0);
    comparisons = new ArrayList<>();
    for (Row r : rows) {
      comparisons.add(Comparison.of(r, task, metric));
    }
  }

  /**
   * Reads every run directory under {@code root}; a {@link UserException} says that root is missing
   * or holds no runs.
   */
  public static Report read(String root, Configuration hadoop, String metric) {
    Path dir = new Path(root);
    List<RunResult> runs = new ArrayList<>();
    try {
      FileSystem fs = dir.getFileSystem(hadoop);
      if (!fs.exists(dir)) {
        throw new UserException("report: " + root + " does not exist");
      }
      for (FileStatus s : fs.listStatus(dir)) {
        if (s.isDirectory()) {
          RunResult.load(fs, s.getPath()).ifPresent(runs::add);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + root + ": " + e.getMessage(), e);
    }
    if (runs.isEmpty()) {
      throw new UserException(
          "report: " + root + " holds no run directories (each has a config.json)");
    }
    return new Report(runs, metric);
  }

  /** Reads, prints the summary to {@code console} and writes the report files, ranked by acc. */
  public static Path write(String root, Configuration hadoop, PrintStream console) {
    return write(root, hadoop, console, "acc");
  }

  /** As {@link #write(String, Configuration, PrintStream)}, ranking by {@code metric}. */
  public static Path write(String root, Configuration hadoop, PrintStream console, String metric) {
    return read(root, hadoop, metric).publish(root, hadoop, console);
  }

  /** Prints the summary to {@code console}; writes report.html, report.json and the figures. */
  public Path publish(String root, Configuration hadoop, PrintStream console) {
    console.print(table());
    Path html = writeFiles(new Path(root), hadoop);
    console.println("report: " + html);
    return html;
  }

  public List<Comparison> comparisons() {
    return comparisons;
  }

  public List<String> tasks() {
    return tasks;
  }

  String metric() {
    return metric;
  }

  /** The first task: the one the claims are made on. */
  String primary() {
    return tasks.isEmpty() ? null : tasks.get(0);
  }

  /** Per row, the summary the table, report.html and report.json show. */
  public List<Map<String, Object>> summary() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Comparison c : comparisons) {
      Row r = c.row();
      Comparison.Point last = c.last();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("model", r.model());
      m.put("unique_tokens", r.uniqueTokens());
      m.put("total_tokens", r.totalTokens());
      m.put("epochs", r.epochs());
      m.put("arm", r.arm());
      m.put("seeds", r.seeds());
      m.put("task", c.task());
      m.put("metric", metric);
      m.put("final_step", last.step());
      if (c.task() != null) {
        m.put("items", last.difference() == null ? null : last.difference().items());
        m.put("ar", stat(last.ar()));
        m.put("mdm", stat(last.mdm()));
        m.put("difference", interval(last.difference()));
        m.put("verdict", c.verdict().label());
        m.put(
            "crossover",
            c.crossover() == null
                ? null
                : Map.of(
                    "step", c.crossover().step(),
                    "epoch", c.crossover().epoch(),
                    "tokens", c.crossover().tokens()));
        m.put("data_potential", potential(c));
      }
      m.put("ar_val_nll", stat(last.arLoss()));
      m.put("ar_best_val_nll", stat(bestLoss(c)));
      m.put("ar_best_val_nll_epoch", r.epochAt(c.arBestStep()));
      m.put("mdm_val_elbo", stat(last.mdmLoss()));
      m.put("likelihood_weak", claim(c.weak()));
      m.put("likelihood_strong", claim(c.strong()));
      m.put("differences", r.differences());
      out.add(m);
    }
    return out;
  }

  private static double[] bestLoss(Comparison c) {
    for (Comparison.Point p : c.curve()) {
      if (p.step() == c.arBestStep()) {
        return p.arLoss();
      }
    }
    return new double[0];
  }

  private static Map<String, Object> stat(double[] values) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mean", finite(Intervals.mean(values)));
    m.put("sd", finite(Intervals.sd(values)));
    m.put("n", values.length);
    return m;
  }

  private static Map<String, Object> interval(Intervals.Difference d) {
    if (d == null) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("value", d.value());
    m.put("low", d.low());
    m.put("high", d.high());
    return m;
  }

  /** A likelihood claim: MDM's ELBO minus an AR NLL; it holds when the interval is below 0. */
  private static Map<String, Object> claim(Intervals.Difference d) {
    Map<String, Object> m = interval(d);
    if (m != null) {
      m.put("holds", d.negative() ? "yes" : d.positive() ? "no" : "inconclusive");
    }
    return m;
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  /**
   * How many times this row's unique tokens AR needs for its final score to reach MDM's final score
   * here, from the AR runs of the same model, arm and total tokens at every budget run (linear in
   * log unique tokens between them), with a bootstrap interval. Only where MDM's lead here is
   * significant; a bound where AR never gets there within the budgets run.
   */
  Map<String, Object> potential(Comparison c) {
    if (c.verdict() != Comparison.Verdict.MDM) {
      return null;
    }
    List<Comparison> ladder = new ArrayList<>();
    for (Comparison o : comparisons) {
      Row a = o.row();
      if (a.model().equals(c.row().model())
          && a.arm().equals(c.row().arm())
          && a.totalTokens() == c.row().totalTokens()
          && a.seeds() > 0) {
        ladder.add(o);
      }
    }
    ladder.sort(Comparator.comparingLong(o -> o.row().uniqueTokens()));
    if (ladder.get(ladder.size() - 1).row().uniqueTokens() <= c.row().uniqueTokens()) {
      // "> 1x" would only restate the verdict: the question needs AR at larger budgets.
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("bound", "unknown");
      m.put("why", "the AR arm was not run with more unique tokens");
      return m;
    }
    double[] budgets = new double[ladder.size()];
    double[] ar = new double[ladder.size()];
    for (int i = 0; i < ladder.size(); i++) {
      budgets[i] = ladder.get(i).row().uniqueTokens();
      ar[i] = Intervals.mean(ladder.get(i).last().ar());
    }
    double target = Intervals.mean(c.last().mdm());
    Crossovers.Potential point =
        Crossovers.dataPotential(budgets, ar, target, c.row().uniqueTokens());
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ratio", point.ratio());
    m.put("bound", point.bound());
    if (point.bound().equals("=")) {
      double[] ci = Potentials.interval(ladder, c, metric);
      m.put("low", ci[0]);
      m.put("high", Double.isInfinite(ci[1]) ? null : ci[1]);
    }
    return m;
  }

  /** The summary as a plain-text table, then what is left out and why. */
  public String table() {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "Crossover report: %d comparison(s) of an AR arm with MDM; claims on the final"
                + " evaluation of %s %s, MDM - AR with 95%% intervals (items x seeds)%n",
            comparisons.size(),
            primary() == null ? "(no task)" : primary(),
            metric));
    List<Map<String, String>> cells = new ArrayList<>();
    for (Map<String, Object> s : summary()) {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("model", (String) s.get("model"));
      m.put("unique", Counts.format((long) s.get("unique_tokens")));
      m.put("epochs", String.format(Locale.ROOT, "%.1f", (double) s.get("epochs")));
      m.put("arm", (String) s.get("arm"));
      m.put("seeds", s.get("seeds").toString());
      if (s.containsKey("verdict")) {
        m.put("items", String.valueOf(s.get("items")));
        m.put("AR " + metric, meanSd(s.get("ar")));
        m.put("MDM " + metric, meanSd(s.get("mdm")));
        m.put("MDM-AR [95% CI]", ci(s.get("difference")));
        m.put("crossover", verdict(s));
        m.put("data potential", potentialText(s.get("data_potential")));
      }
      m.put(
          "AR val NLL (best)",
          meanSd(s.get("ar_val_nll")) + " (" + meanSd(s.get("ar_best_val_nll")) + ")");
      m.put("MDM val ELBO", meanSd(s.get("mdm_val_elbo")));
      m.put("ELBO<NLL final", claimText(s.get("likelihood_weak")));
      m.put("ELBO<NLL best", claimText(s.get("likelihood_strong")));
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
    for (Comparison c : comparisons) {
      for (String d : c.row().differences()) {
        out.append("  unmatched ")
            .append(c.row().pairs().get(0).ar().name())
            .append(" / ")
            .append(c.row().pairs().get(0).mdm().name())
            .append(": ")
            .append(d)
            .append('\n');
      }
    }
    for (RunResult r : unpaired) {
      out.append("  no partner for ").append(r.name()).append('\n');
    }
    for (RunResult r : excluded) {
      out.append("  not compared: ")
          .append(r.name())
          .append(" (")
          .append(r.problem())
          .append(")\n");
    }
    return out.toString();
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
        "%+.3f [%+.3f, %+.3f]",
        (double) m.get("value"),
        (double) m.get("low"),
        (double) m.get("high"));
  }

  static String verdict(Map<String, Object> s) {
    return switch (Comparison.Verdict.valueOf(
        ((String) s.get("verdict")).toUpperCase(Locale.ROOT))) {
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
    if (!bound.equals("=")) {
      return bound + " " + ratio;
    }
    Object high = m.get("high");
    return ratio
        + String.format(Locale.ROOT, " [%.2f, ", (double) m.get("low"))
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

  /**
   * Writes report.html, report.json and the PNG figures into {@code dir}; returns the HTML file.
   */
  Path writeFiles(Path dir, Configuration hadoop) {
    try {
      FileSystem fs = dir.getFileSystem(hadoop);
      // No .crc files beside the report on local disks: people open these files directly.
      fs.setWriteChecksum(false);
      if (!comparisons.isEmpty()) {
        put(fs, new Path(dir, "figure-a.png"), Figures.figureA(this));
        if (primary() != null) {
          put(fs, new Path(dir, "delta-nll.png"), Figures.deltaNll(this));
          if (!Figures.budgetPanels(this).isEmpty()) {
            put(fs, new Path(dir, "by-budget.png"), Figures.byBudget(this));
          }
        }
      }
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("task", primary());
      json.put("metric", metric);
      json.put("rows", summary());
      json.put("unpaired", unpaired.stream().map(RunResult::name).toList());
      List<Map<String, String>> left = new ArrayList<>();
      for (RunResult r : excluded) {
        left.add(Map.of("run", r.name(), "why", r.problem()));
      }
      json.put("not_compared", left);
      put(
          fs,
          new Path(dir, "report.json"),
          Json.SNAKE_PRETTY.writeValueAsString(json).getBytes(StandardCharsets.UTF_8));
      Path html = new Path(dir, "report.html");
      put(fs, html, Html.render(this).getBytes(StandardCharsets.UTF_8));
      return fs.makeQualified(html);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the report into " + dir + ": " + e.getMessage(), e);
    }
  }

  List<RunResult> excluded() {
    return excluded;
  }

  List<RunResult> unpaired() {
    return unpaired;
  }

  private static void put(FileSystem fs, Path file, byte[] bytes) throws IOException {
    Path tmp = new Path(file.getParent(), "." + file.getName() + ".tmp");
    try (OutputStream out = fs.create(tmp, true)) {
      out.write(bytes);
    }
    fs.delete(file, false);
    if (!fs.rename(tmp, file)) {
      throw new IOException("cannot rename " + tmp + " to " + file);
    }
  }

  /** Keys whose values differ between two configs' JSON, besides those a pair may differ in. */
  static List<String> differences(String jsonA, String jsonB) {
    Map<String, String> x = Json.flatten(jsonA);
    Map<String, String> y = Json.flatten(jsonB);
    java.util.TreeSet<String> keys = new java.util.TreeSet<>(x.keySet());
    keys.addAll(y.keySet());
    List<String> out = new ArrayList<>();
    for (String k : keys) {
      if (!PAIR_KEYS.contains(k)
          && !k.startsWith("objective.")
          && !java.util.Objects.equals(x.get(k), y.get(k))) {
        out.add(k + ": " + x.get(k) + " (AR) vs " + y.get(k) + " (MDM)");
      }
    }
    return out;
  }
}
