package io.crossover.driver.sweep;

import ai.djl.ndarray.NDManager;
import io.crossover.data.Failure;
import io.crossover.data.config.ConfigException;
import io.crossover.data.config.Counts;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.driver.bench.StepBench;
import io.crossover.driver.process.Invocation;
import io.crossover.driver.process.QualifiedPaths;
import io.crossover.driver.process.UserMessages;
import io.crossover.driver.report.render.ReportFiles;
import io.crossover.driver.run.RunDir;
import io.crossover.driver.run.RunLease;
import io.crossover.driver.spark.Ingest;
import io.crossover.driver.spark.SparkSessions;
import io.crossover.driver.train.RunLauncher;
import io.crossover.executor.model.ModelSize;
import io.crossover.executor.objective.Objective;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.logging.log4j.LogManager;
import org.apache.spark.sql.SparkSession;

/**
 * Runs a sweep: prints its grid (with an estimate from a short step benchmark), ingests the dataset
 * when missing, runs every point in order (one Spark session shared by multi-rank runs), skips
 * finished runs and resumes the others, then writes the report. A failed run does not stop the
 * others; the sweep then ends through the one failure path.
 */
public final class SweepRunner {
  private SweepRunner() {}

  /** Runs a sweep; returns the exit code (1 when a run failed). */
  public static int run(
      SweepSpec spec,
      List<String> overrides,
      boolean dryRun,
      boolean estimate,
      boolean failFast,
      boolean report) {
    for (String o : overrides) {
      String key = o.contains("=") ? o.substring(0, o.indexOf('=')).trim() : o;
      if (key.equals("run.root") || key.equals("run.name")) {
        throw new ConfigException(
            key, "is set by the sweep for each run; use --root to move the sweep");
      }
      if (spec.axisKeys().contains(key)) {
        throw new ConfigException(
            key, "is an axis of sweep " + spec.name() + "; change the sweep file, not --set");
      }
    }
    Configuration hadoop = RunDir.hadoopConf();
    List<Sweep.Point> points = new ArrayList<>();
    for (Sweep.Point p : Sweep.expand(spec, overrides)) {
      points.add(new Sweep.Point(p.name(), p.overrides(), QualifiedPaths.of(p.config(), hadoop)));
    }
    Path dir = new Path(points.get(0).config().run().root());
    System.out.print(grid(spec, points, hadoop, estimate));
    if (dryRun) {
      return 0;
    }
    // One sweep at a time on a root: a second one would race the first for its next runs.
    Map<String, String> outcome;
    try (RunLease lease =
        RunLease.take(
            dir.toString(), hadoop, Invocation.commandLineWith(List.of()), System.out::println)) {
      ensureDataset(points.get(0).config(), hadoop);
      outcome = runAll(spec, points, hadoop, failFast);
    }
    long failed = outcome.values().stream().filter(v -> v.startsWith("FAILED")).count();
    System.out.println("sweep " + spec.name() + ": " + dir);
    outcome.forEach((name, result) -> System.out.printf(Locale.ROOT, "  %-28s %s%n", name, result));
    if (report && failed < outcome.size()) {
      ReportFiles.write(dir.toString(), hadoop, System.out, spec.report());
    } else if (report) {
      System.out.println("no report: no run of the sweep trained");
    }
    if (failed > 0) {
      List<String> which = new ArrayList<>();
      outcome.forEach(
          (name, result) -> {
            if (result.startsWith("FAILED")) {
              which.add(name + " (" + result.substring("FAILED: ".length()) + ")");
            }
          });
      // Exit 1 through the one place failures are reported: one line, and where the traces are.
      throw new Failure(
          failed
              + " of "
              + outcome.size()
              + " runs failed: "
              + String.join("; ", which)
              + ". Fix the cause and run the same command again: finished runs are skipped and"
              + " the failed ones retried");
    }
    return 0;
  }

  private static Map<String, String> runAll(
      SweepSpec spec, List<Sweep.Point> points, Configuration hadoop, boolean failFast) {
    Map<String, String> outcome = Collections.synchronizedMap(new TreeMap<>());
    int minRanks = points.stream().mapToInt(p -> p.config().cluster().worldSize()).min().orElse(1);
    int maxRanks = points.stream().mapToInt(p -> p.config().cluster().worldSize()).max().orElse(1);
    // Runs share a JVM only through Spark: in-process (W = 1) runs go one at a time, since
    // libtorch keeps one gradient state per JVM.
    int parallel = minRanks > 1 ? spec.parallel() : 1;
    SparkSession spark =
        maxRanks > 1
            ? SparkSessions.create(points.get(0).config().cluster(), "sweep " + spec.name())
            : null;
    ExecutorService pool = Executors.newFixedThreadPool(parallel);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < points.size(); i++) {
        Sweep.Point p = points.get(i);
        String label = "[" + (i + 1) + "/" + points.size() + "] " + p.name();
        futures.add(
            pool.submit(
                () -> {
                  outcome.put(p.name(), runOne(p, label, hadoop, spark));
                  if (outcome.get(p.name()).startsWith("FAILED")
                      && (failFast || !spec.continueOnFailure())) {
                    throw new IllegalStateException(
                        "run " + p.name() + " " + outcome.get(p.name()));
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (ExecutionException e) {
          pool.shutdownNow();
          throw new IllegalStateException(
              "sweep " + spec.name() + " stopped: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
      }
    } finally {
      pool.shutdown();
      if (spark != null) {
        spark.stop();
      }
    }
    return outcome;
  }

  private static String runOne(
      Sweep.Point p, String label, Configuration hadoop, SparkSession spark) {
    Sweep.State state = Sweep.state(p, hadoop);
    if (state == Sweep.State.DONE) {
      System.out.println("== " + label + ": DONE already, skipped");
      return "done (skipped)";
    }
    System.out.println(
        "== "
            + label
            + switch (state) {
              case RESUME -> ": resuming from its latest checkpoint";
              case RESTART -> ": has logs but no checkpoint, starting again";
              default -> ": starting";
            });
    long start = System.nanoTime();
    try {
      RunLauncher.run(
          p.config(),
          new RunLauncher.Start(
              state == Sweep.State.RESTART ? RunDir.Existing.REPLACE : RunDir.Existing.KEEP,
              // A sweep has no --overwrite: a run is started again by removing its directory.
              new RunDir.Restart(
                  "remove "
                      + new Path(p.config().run().root(), p.config().run().name())
                      + " and run the sweep again to start it afresh",
                  false),
              false,
              Invocation.commandLineWith(List.of())),
          spark);
      double s = (System.nanoTime() - start) / 1e9;
      return (state == Sweep.State.RESUME ? "resumed, done" : "done")
          + String.format(Locale.ROOT, " in %.0f s", s);
    } catch (RuntimeException e) {
      String why = UserMessages.describeForUser(e);
      LogManager.getLogger(SweepRunner.class).error("run " + label + " failed", e);
      System.out.println("== " + label + " FAILED: " + why);
      return "FAILED: " + why;
    }
  }

  /** Ingests the base config's input when the dataset is not there yet. */
  private static void ensureDataset(CrossoverConfig c, Configuration hadoop) {
    Path manifest = new Path(c.data().dataset(), "manifest.json");
    try {
      if (manifest.getFileSystem(hadoop).exists(manifest)) {
        return;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + manifest + ": " + e.getMessage(), e);
    }
    System.out.println(
        "== dataset " + c.data().dataset() + " missing: ingesting " + c.data().input().path());
    Ingest.run(c, false);
  }

  /** The grid as a table, with each run's state and (optionally) a measured time estimate. */
  public static String grid(
      SweepSpec spec, List<Sweep.Point> points, Configuration hadoop, boolean estimate) {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "sweep %s (%s): %d runs, base %s, into %s%n",
            spec.name(),
            spec.source(),
            points.size(),
            spec.base(),
            points.get(0).config().run().root()));
    out.append(
        String.format(
            Locale.ROOT,
            "  %-28s %-12s %-7s %10s %10s %7s %7s %3s %-8s %9s%n",
            "run",
            "obj",
            "model",
            "unique",
            "total",
            "epochs",
            "steps",
            "W",
            "state",
            "est."));
    Map<String, Double> stepSeconds = new HashMap<>();
    long tokens = 0;
    double seconds = 0;
    boolean timed = true;
    for (Sweep.Point p : points) {
      CrossoverConfig c = p.config();
      long steps =
          c.budget().totalTokens() / ((long) c.budget().globalBatch() * c.budget().seqLen());
      tokens += c.budget().totalTokens();
      Sweep.State state = Sweep.state(p, hadoop);
      String est = "-";
      if (estimate && state != Sweep.State.DONE) {
        Double s = stepSeconds.computeIfAbsent(key(c), k -> measure(c));
        if (s.isNaN()) {
          timed = false;
        } else {
          seconds += s * steps;
          est = human(s * steps);
        }
      }
      out.append(
          String.format(
              Locale.ROOT,
              "  %-28s %-12s %-7s %10s %10s %7.1f %7d %3d %-8s %9s%n",
              p.name(),
              Objective.describe(c.objective()).name(),
              c.model().preset(),
              Counts.grouped(c.budget().uniqueTokens()),
              Counts.grouped(c.budget().totalTokens()),
              (double) c.budget().totalTokens() / c.budget().uniqueTokens(),
              steps,
              c.cluster().worldSize(),
              state.name().toLowerCase(Locale.ROOT),
              est));
    }
    out.append(String.format(Locale.ROOT, "  total: %s tokens", Counts.grouped(tokens)));
    if (estimate) {
      out.append(
          String.format(
              Locale.ROOT,
              "; estimated %s of training%s (timed steps on this machine, evaluations extra)",
              human(seconds),
              timed ? "" : " for the runs that could be timed"));
    }
    return out.append('\n').toString();
  }

  private static String key(CrossoverConfig c) {
    return c.model().preset()
        + "/"
        + Objective.describe(c.objective()).name()
        + "/"
        + c.budget().globalBatch() / c.cluster().worldSize()
        + "/"
        + c.budget().seqLen()
        + "/"
        + c.train().threads();
  }

  /**
   * Seconds per step of one rank, timed here on a few steps (ranks run in parallel, so a step of
   * the whole job takes about as long, plus the all-reduce). NaN for models too large to time.
   */
  private static double measure(CrossoverConfig c) {
    if (ModelSize.parameters(c.model(), 259) > 200_000_000L) {
      return Double.NaN;
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      return StepBench.stepSeconds(
          c,
          c.objective(),
          c.budget().globalBatch() / c.cluster().worldSize(),
          c.budget().seqLen(),
          3,
          manager);
    }
  }

  public static String human(double seconds) {
    if (seconds < 120) {
      return String.format(Locale.ROOT, "%.0f s", seconds);
    }
    if (seconds < 7200) {
      return String.format(Locale.ROOT, "%.1f min", seconds / 60);
    }
    return String.format(Locale.ROOT, "%.1f h", seconds / 3600);
  }
}
