package io.crossover.driver.report;

import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.Counts;
import io.crossover.executor.eval.EvalRecord;
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
 * The crossover report of a directory of runs (a sweep): pairs each AR run with its MDM twin, finds
 * where MDM overtakes AR and how much more unique data AR needs, and writes {@code report.html}
 * with PNG figures next to the runs; the summary also goes to the console.
 */
public final class Report {
  /** Settings that may differ within a matched pair. */
  static final Set<String> PAIR_KEYS = Set.of("objective.type", "run.name");

  private final List<Row> rows;
  private final List<RunResult> unpaired;
  private final List<RunResult> excluded;
  private final List<String> tasks;
  private final String metric;

  Report(List<RunResult> runs, String metric) {
    this.metric = metric;
    Map<String, RunResult> ar = new TreeMap<>();
    Map<String, RunResult> mdm = new TreeMap<>();
    excluded = new ArrayList<>();
    for (RunResult r : runs) {
      if (r.problem() != null) {
        excluded.add(r);
      } else {
        (r.objective().equals("ar") ? ar : mdm).put(r.pairKey(), r);
      }
    }
    rows = new ArrayList<>();
    unpaired = new ArrayList<>();
    for (Map.Entry<String, RunResult> e : ar.entrySet()) {
      RunResult twin = mdm.remove(e.getKey());
      if (twin == null) {
        unpaired.add(e.getValue());
      } else {
        rows.add(
            new Row(
                e.getValue(),
                twin,
                differences(
                    ConfigLoader.toJson(e.getValue().config()),
                    ConfigLoader.toJson(twin.config()))));
      }
    }
    unpaired.addAll(mdm.values());
    rows.sort(Comparator.comparing(Row::model).thenComparingLong(Row::uniqueTokens));
    java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
    for (Row r : rows) {
      names.addAll(r.ar().tasks());
      names.addAll(r.mdm().tasks());
    }
    tasks = new ArrayList<>(names);
  }

  /**
   * Reads every run directory under {@code root}; an {@link IllegalArgumentException} says that
   * root is missing or holds no runs.
   */
  public static Report read(String root, Configuration hadoop, String metric) {
    Path dir = new Path(root);
    List<RunResult> runs = new ArrayList<>();
    try {
      FileSystem fs = dir.getFileSystem(hadoop);
      if (!fs.exists(dir)) {
        throw new IllegalArgumentException("report: " + root + " does not exist");
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
      throw new IllegalArgumentException(
          "report: " + root + " holds no run directories (each has a config.json)");
    }
    return new Report(runs, metric);
  }

  /** Reads, prints the summary to {@code console} and writes report.html and the figures. */
  public static Path write(String root, Configuration hadoop, PrintStream console) {
    return write(root, hadoop, console, "acc");
  }

  /** As {@link #write(String, Configuration, PrintStream)}, ranking by {@code metric}. */
  public static Path write(String root, Configuration hadoop, PrintStream console, String metric) {
    return read(root, hadoop, metric).publish(root, hadoop, console);
  }

  /** Prints the summary to {@code console}; writes report.html and the figures into root. */
  public Path publish(String root, Configuration hadoop, PrintStream console) {
    console.print(table());
    Path html = writeFiles(new Path(root), hadoop);
    console.println("report: " + html);
    return html;
  }

  public List<Row> rows() {
    return rows;
  }

  public List<String> tasks() {
    return tasks;
  }

  /** The first task: the one the crossover and data potential are computed on. */
  String primary() {
    return tasks.isEmpty() ? null : tasks.get(0);
  }

  /** Per row: finals, bests, crossover and data potential on the primary task. */
  public List<Map<String, String>> summary() {
    List<Map<String, String>> out = new ArrayList<>();
    String task = primary();
    for (Row r : rows) {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("model", r.model());
      m.put("unique", Counts.format(r.uniqueTokens()));
      m.put("epochs", fmt1((double) r.totalTokens() / r.uniqueTokens()));
      if (task != null) {
        m.put("AR " + metric, fmt3(Row.last(r.ar(), task, metric)));
        m.put("MDM " + metric, fmt3(Row.last(r.mdm(), task, metric)));
        m.put("AR best", fmt3(Row.best(r.ar(), task, metric)));
        m.put("MDM best", fmt3(Row.best(r.mdm(), task, metric)));
        EvalRecord x = r.crossover(task, metric);
        m.put("crossover epoch", x == null ? "none" : fmt1(x.epoch()));
        m.put("crossover tokens", x == null ? "none" : Counts.format(x.tokensSeen()));
        m.put("data potential", potential(r, task).map(Object::toString).orElse("-"));
        if (!metric.equals("acc")) {
          m.put("AR acc", fmt3(Row.last(r.ar(), task, "acc")));
          m.put("MDM acc", fmt3(Row.last(r.mdm(), task, "acc")));
        }
      }
      m.put("AR val nll", fmt3(Row.lastLoss(r.ar())));
      m.put("MDM val elbo", fmt3(Row.lastLoss(r.mdm())));
      EvalRecord lx = r.lossCrossover();
      m.put("val crossover epoch", lx == null ? "none" : fmt1(lx.epoch()));
      m.put("state", r.ar().done() && r.mdm().done() ? "done" : "running/incomplete");
      out.add(m);
    }
    return out;
  }

  /**
   * How many times this row's unique tokens AR needs to match MDM's best score here, from the AR
   * runs of the same model (and total budget) over all unique budgets run.
   */
  java.util.Optional<Crossovers.Potential> potential(Row row, String task) {
    TreeMap<Long, Double> arBest = new TreeMap<>();
    for (Row r : rows) {
      if (r.model().equals(row.model()) && r.totalTokens() == row.totalTokens()) {
        arBest.put(r.uniqueTokens(), Row.best(r.ar(), task, metric));
      }
    }
    double target = Row.best(row.mdm(), task, metric);
    if (Double.isNaN(target) || arBest.values().stream().anyMatch(v -> v.isNaN())) {
      return java.util.Optional.empty();
    }
    double[] budgets = arBest.keySet().stream().mapToDouble(Long::doubleValue).toArray();
    double[] scores = arBest.values().stream().mapToDouble(Double::doubleValue).toArray();
    return java.util.Optional.of(
        Crossovers.dataPotential(budgets, scores, target, row.uniqueTokens()));
  }

  /** The summary as a plain-text table. */
  public String table() {
    StringBuilder out = new StringBuilder();
    List<Map<String, String>> summary = summary();
    out.append(
        String.format(
            Locale.ROOT,
            "Crossover report: %d AR/MDM pairs; crossover and data potential on %s %s%n",
            rows.size(),
            primary() == null ? "(no task)" : primary(),
            metric));
    if (!summary.isEmpty()) {
      List<String> columns = new ArrayList<>(summary.get(0).keySet());
      Map<String, Integer> width = new LinkedHashMap<>();
      for (String c : columns) {
        int w = c.length();
        for (Map<String, String> m : summary) {
          w = Math.max(w, m.get(c).length());
        }
        width.put(c, w);
      }
      for (String c : columns) {
        out.append(String.format(Locale.ROOT, "%-" + width.get(c) + "s  ", c));
      }
      out.append('\n');
      for (Map<String, String> m : summary) {
        for (String c : columns) {
          out.append(String.format(Locale.ROOT, "%-" + width.get(c) + "s  ", m.get(c)));
        }
        out.append('\n');
      }
    }
    for (Row r : rows) {
      for (String d : r.differences()) {
        out.append("  unmatched ").append(r.ar().name()).append(" / ").append(r.mdm().name());
        out.append(": ").append(d).append('\n');
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

  /** Writes report.html and the PNG figures into {@code dir}; returns the HTML file. */
  Path writeFiles(Path dir, Configuration hadoop) {
    try {
      FileSystem fs = dir.getFileSystem(hadoop);
      // No .crc files beside the report on local disks: people open these files directly.
      fs.setWriteChecksum(false);
      if (!rows.isEmpty()) {
        put(fs, new Path(dir, "figure-a.png"), Figures.figureA(rows, tasks, metric));
        put(fs, new Path(dir, "delta-nll.png"), Figures.deltaNll(rows, tasks));
        if (primary() != null) {
          put(fs, new Path(dir, "by-budget.png"), Figures.byBudget(rows, primary(), metric));
        }
      }
      Path html = new Path(dir, "report.html");
      put(fs, html, Html.render(this, metric).getBytes(StandardCharsets.UTF_8));
      return fs.makeQualified(html);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the report into " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Runs left out of every comparison, each with its {@link RunResult#problem()}. */
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
    Map<String, String> x = io.crossover.data.Json.flatten(jsonA);
    Map<String, String> y = io.crossover.data.Json.flatten(jsonB);
    java.util.TreeSet<String> keys = new java.util.TreeSet<>(x.keySet());
    keys.addAll(y.keySet());
    List<String> out = new ArrayList<>();
    for (String k : keys) {
      if (!PAIR_KEYS.contains(k) && !java.util.Objects.equals(x.get(k), y.get(k))) {
        out.add(k + ": " + x.get(k) + " (AR) vs " + y.get(k) + " (MDM)");
      }
    }
    return out;
  }

  private static String fmt3(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static String fmt1(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }
}
