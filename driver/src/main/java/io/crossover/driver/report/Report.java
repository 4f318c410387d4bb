package io.crossover.driver.report;

import io.crossover.data.Json;
import io.crossover.data.UserException;
import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.IdentityKeys;
import io.crossover.data.stats.Clustered;
import io.crossover.data.stats.Estimate;
import io.crossover.executor.objective.Arms;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
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
  private final List<Comparison> comparisons;
  private final List<RunResult> unpaired;
  private final List<RunResult> excluded;
  private final List<String> tasks;
  private final Settings settings;
  private final List<Findings.Finding> findings;
  private final TaskCheck taskCheck;
  private final ReuseLaws laws;

  /**
   * What the report's claims are read on.
   *
   * @param metric the task metric: acc, acc_norm or acc_mi
   * @param margin the equivalence margin of a score that "holds": its change's 90% interval must
   *     lie within ±margin (two one-sided tests at 5%)
   */
  public record Settings(String metric, double margin) {
    /** Two points of accuracy: a score that moves less than this has not moved. */
    public static final double DEFAULT_MARGIN = 0.02;

    public Settings {
      if (!Curves.METRICS.contains(metric)) {
        throw new IllegalArgumentException(
            "--metric " + metric + " is not one of " + String.join(", ", Curves.METRICS));
      }
      if (!(margin > 0 && margin < 1)) {
        throw new IllegalArgumentException(
            "the equivalence margin must be in (0, 1), as a share of items: " + margin);
      }
    }

    /** The metric with the default margin. */
    public static Settings of(String metric) {
      return new Settings(metric, DEFAULT_MARGIN);
    }

    /**
     * The settings of the report already in {@code root} (its report.json), or acc and the default
     * margin where there is none or it does not say.
     */
    public static Settings saved(String root, Configuration hadoop) {
      Path file = new Path(root, "report.json");
      try {
        FileSystem fs = file.getFileSystem(hadoop);
        if (!fs.exists(file)) {
          return of("acc");
        }
        try (var in = fs.open(file)) {
          var json = Json.MAPPER.readTree(in);
          return new Settings(
              json.path("metric").asText("acc"),
              json.path("equivalence_margin").asDouble(DEFAULT_MARGIN));
        } catch (IllegalArgumentException e) {
          return of("acc");
        }
      } catch (IOException e) {
        // An unreadable earlier report is replaced: its settings fall back to the defaults.
        return of("acc");
      }
    }
  }

  Report(List<RunResult> runs, Settings settings, Configuration hadoop) {
    this.settings = settings;
    String metric = settings.metric();
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
      Arms.Split<Map<Long, RunResult>> split =
          Arms.split(group.getValue(), seeds -> seeds.values().iterator().next().objective());
      Map<Long, RunResult> subject = split.subject() == null ? null : split.subject().getValue();
      for (Map<Long, RunResult> arm : split.baselines().values()) {
        List<Row.Pair> pairs = new ArrayList<>();
        for (var seed : arm.entrySet()) {
          RunResult twin = subject == null ? null : subject.get(seed.getKey());
          if (twin == null) {
            unpaired.add(seed.getValue());
          } else {
            pairs.add(new Row.Pair(seed.getValue(), twin));
          }
        }
        if (!pairs.isEmpty()) {
          rows.add(new Row(group.getKey(), pairs, mismatches(pairs)));
        }
      }
      if (subject != null) {
        for (RunResult m : subject.values()) {
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
    LinkedHashSet<String> names = new LinkedHashSet<>();
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
    taskCheck =
        task == null || rows.isEmpty()
            ? new TaskCheck(null, "no task")
            : TaskCheck.of(rows.get(0).first(), task, scoredSha(rows.get(0), task), hadoop);
    List<Comparison> usable = comparisons.stream().filter(c -> c.problem() == null).toList();
    laws = ReuseLaws.of(usable, Findings.reference(usable));
    findings = Findings.of(this);
  }

  /** The data-reuse law fitted per objective. */
  public ReuseLaws laws() {
    return laws;
  }

  /**
   * Every identity setting in which the row's runs differ besides the objective (within a seed's
   * pair) and the seed (across pairs), and every hash of what they read (dataset, task files) that
   * differs: each one named with both runs. Empty when the row may make claims.
   */
  static List<String> mismatches(List<Row.Pair> pairs) {
    List<String> out = new ArrayList<>();
    RunResult reference = pairs.get(0).ar();
    // The MDM runs' own objective settings must agree across seeds too.
    for (int k = 1; k < pairs.size(); k++) {
      for (String d : differences(pairs.get(0).mdm().config(), pairs.get(k).mdm().config())) {
        if (d.startsWith("objective.")) {
          out.add(pairs.get(0).mdm().name() + " / " + pairs.get(k).mdm().name() + ": " + d);
        }
      }
    }
    for (int k = 0; k < pairs.size(); k++) {
      for (RunResult r : List.of(pairs.get(k).ar(), pairs.get(k).mdm())) {
        if (r == reference) {
          continue;
        }
        boolean otherArm = r == pairs.get(k).mdm();
        for (String d : differences(reference.config(), r.config())) {
          String key = d.substring(0, d.indexOf(':'));
          if ((otherArm && key.startsWith("objective.")) || (k > 0 && key.equals("run.seed"))) {
            continue;
          }
          out.add(reference.name() + " / " + r.name() + ": " + d);
        }
        for (var h : reference.hashes().entrySet()) {
          String other = r.hashes().get(h.getKey());
          if (other != null && !other.equals(h.getValue())) {
            out.add(
                reference.name()
                    + " / "
                    + r.name()
                    + ": "
                    + h.getKey()
                    + " differs (SHA-256): they read other files");
          }
        }
      }
    }
    return out;
  }

  /**
   * Reads every run directory under {@code root}; a {@link UserException} says that root is missing
   * or holds no runs.
   */
  public static Report read(String root, Configuration hadoop, String metric) {
    return read(root, hadoop, Settings.of(metric));
  }

  /** As {@link #read(String, Configuration, String)}, with every setting given. */
  public static Report read(String root, Configuration hadoop, Settings settings) {
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
    return new Report(runs, settings, hadoop);
  }

  public List<Comparison> comparisons() {
    return comparisons;
  }

  public List<String> tasks() {
    return tasks;
  }

  public String metric() {
    return settings.metric();
  }

  /** The equivalence margin of a score that "holds". */
  public double margin() {
    return settings.margin();
  }

  /** The first task: the one the claims are made on. */
  public String primary() {
    return tasks.isEmpty() ? null : tasks.get(0);
  }

  /** The reference study's claims, each with its status and generated text. */
  public List<Findings.Finding> findings() {
    return findings;
  }

  /** The SHA-256 of the task file a row's first run scored at its final evaluation, or null. */
  private static String scoredSha(Row row, String task) {
    List<Long> steps = row.steps();
    if (steps.isEmpty()) {
      return null;
    }
    var m = Row.at(row.first(), steps.get(steps.size() - 1)).tasks().get(task);
    return m == null ? null : m.taskSha256();
  }

  /** The blind audit of the task the claims are made on. */
  public TaskCheck taskCheck() {
    return taskCheck;
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
      m.put("metric", metric());
      m.put("final_step", last.step());
      m.put("no_claim", c.problem());
      if (c.task() != null) {
        m.put("items", last.difference() == null ? null : last.difference().items());
        m.put("documents", last.difference() == null ? null : last.difference().clusters());
        m.put("ar", stat(last.ar()));
        m.put("mdm", stat(last.mdm()));
        m.put("chance", last.arScore() == null ? null : finite(last.arScore().chance()));
        m.put("ar_score", Prose.score(last.arScore(), false));
        m.put("mdm_score", Prose.score(last.mdmScore(), false));
        m.put("difference", Prose.interval(last.difference()));
        m.put(
            "detectable",
            last.difference() == null ? null : finite(last.difference().detectable()));
        m.put("verdict", c.verdict().label());
        // Whether the crossover reading stands on an arm the task sees (Findings' rule).
        ArmScore reads =
            last.difference() == null ? null : c.score(c.reads(Comparison.Verdict.MDM));
        m.put("crossover_measurable", reads == null ? null : reads.aboveChance());
        m.put(
            "crossover",
            c.crossover() == null
                ? null
                : ordered(
                    "step", c.crossover().step(),
                    "epoch", c.crossover().epoch(),
                    "tokens", c.crossover().tokens()));
        m.put("data_potential", potential(c));
        m.put("scoring", scoring(r, last.step()));
        m.put("curve_items", last.common() == null ? null : last.common().items());
      }
      m.put("val_loss_kind", ordered("ar", last.arLossKind(), "mdm", last.mdmLossKind()));
      m.put("ar_val_loss", stat(last.arLoss()));
      m.put("ar_best_val_loss", stat(bestLoss(c)));
      m.put("ar_best_epoch", c.arBestStep() < 0 ? null : r.epochAt(c.arBestStep()));
      m.put("mdm_val_loss", stat(last.mdmLoss()));
      // The keys keep their first names: report.json is a format that readers and committed
      // studies rely on ("weak": ELBO vs final NLL; "strong": ELBO vs AR's best NLL).
      m.put("likelihood_weak", claim(c.elboVsFinalNll()));
      m.put("likelihood_strong", claim(c.elboVsBestNll()));
      m.put("ar_loss_rise", Prose.interval(c.arRise()));
      m.put(
          "ar_score_change",
          Prose.interval(c.arScoreChange() == null ? null : c.arScoreChange().change()));
      // What this row's intervals are: over the objectives (seeds by t), or with one seed over
      // items only, for the models trained.
      m.put(
          "interval_method",
          last.difference() != null
              ? last.difference().method()
              : c.elboVsFinalNll() != null ? c.elboVsFinalNll().method() : null);
      out.add(m);
    }
    return out;
  }

  /**
   * A map in the order given: report.json is the same bytes for the same runs (Map.of iterates in
   * an order that changes from one JVM to the next).
   */
  private static Map<String, Object> ordered(Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  /** How each arm's choices were scored at a step, as the runs recorded it. */
  private static Map<String, Object> scoring(Row r, long step) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ar", Row.at(r.pairs().get(0).ar(), step).scoring());
    m.put("mdm", Row.at(r.pairs().get(0).mdm(), step).scoring());
    return m;
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
    m.put("mean", finite(Clustered.mean(values)));
    m.put("sd", finite(Clustered.sd(values)));
    m.put("n", values.length);
    return m;
  }

  /** A likelihood claim: MDM's ELBO minus an AR NLL; it holds when the interval is below 0. */
  private static Map<String, Object> claim(Estimate d) {
    Map<String, Object> m = Prose.interval(d);
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
   * log unique tokens between them), with a bootstrap interval over documents. Only where MDM's
   * lead here is significant; a bound where AR never gets there within the budgets run.
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
          && o.problem() == null
          && o.last().difference() != null) {
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
      ar[i] = Clustered.mean(ladder.get(i).last().ar());
    }
    double target = Clustered.mean(c.last().mdm());
    Crossovers.Potential point =
        Crossovers.dataPotential(budgets, ar, target, c.row().uniqueTokens());
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ratio", point.ratio());
    m.put("bound", point.bound());
    Potentials.Interval ci = Potentials.interval(ladder, c, metric());
    m.put("low", finite(ci.low()));
    m.put("high", finite(ci.high()));
    return m;
  }

  /** The content of report.json: findings first, then the audit, rows and what is left out. */
  public Map<String, Object> json() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("task", primary());
    json.put("metric", metric());
    json.put("equivalence_margin", margin());
    json.put("objective_seeds", Clustered.OBJECTIVE_SEEDS);
    json.put("findings", findingsJson());
    json.put("task_audit", auditJson());
    json.put("reuse_law", laws.json());
    json.put("rows", summary());
    json.put("unpaired", unpaired.stream().map(RunResult::name).toList());
    List<Map<String, Object>> left = new ArrayList<>();
    for (RunResult r : excluded) {
      left.add(ordered("run", r.name(), "why", r.problem()));
    }
    json.put("not_compared", left);
    return json;
  }

  /** The task's blind audit as report.json writes it. */
  Map<String, Object> auditJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    if (taskCheck.result() == null) {
      m.put("audited", false);
      m.put("why", taskCheck.why());
      return m;
    }
    var a = taskCheck.result();
    m.put("audited", true);
    m.put("passed", a.passed());
    m.put("items", a.items());
    m.put("documents", a.documents());
    m.put("chance", a.chance());
    m.put("frequencies_from", a.frequencies());
    List<Map<String, Object>> rules = new ArrayList<>();
    for (var r : a.rules()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("rule", r.rule());
      x.put("accuracy", r.accuracy().value());
      x.put("low", r.accuracy().low());
      x.put("high", r.accuracy().high());
      x.put("above_chance", r.aboveChance());
      rules.add(x);
    }
    m.put("rules", rules);
    return m;
  }

  /** The findings as report.json writes them. */
  List<Map<String, Object>> findingsJson() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Findings.Finding f : findings) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", f.id());
      m.put("claim", f.claim());
      m.put("status", f.status().label());
      m.put("text", f.text());
      m.put("evidence", f.evidence());
      out.add(m);
    }
    return out;
  }

  public List<RunResult> excluded() {
    return excluded;
  }

  public List<RunResult> unpaired() {
    return unpaired;
  }

  /** Identity keys whose values differ between two configs, as {@code key: a vs b}. */
  static List<String> differences(CrossoverConfig a, CrossoverConfig b) {
    Map<String, String> x = Json.flatten(ConfigLoader.toJson(a));
    Map<String, String> y = Json.flatten(ConfigLoader.toJson(b));
    TreeSet<String> keys = new TreeSet<>(x.keySet());
    keys.addAll(y.keySet());
    List<String> out = new ArrayList<>();
    for (String k : keys) {
      if (!IdentityKeys.mayChange(k) && !Objects.equals(x.get(k), y.get(k))) {
        out.add(k + ": " + x.get(k) + " vs " + y.get(k));
      }
    }
    return out;
  }
}
