package io.crossover.driver.sweep;

import io.crossover.data.config.ConfigException;
import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.Counts;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.plan.PlanSpec;
import io.crossover.data.plan.TokenPlan;
import io.crossover.executor.checkpoint.Checkpoints;
import io.crossover.executor.objective.Objective;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** The grid of a {@link SweepSpec}: one resolved, validated config per point, and their state. */
public final class Sweep {
  /** One run of the grid. */
  public record Point(String name, List<String> overrides, CrossoverConfig config) {}

  /** Where a run stands in its directory. */
  public enum State {
    /** {@code DONE} is there: skipped. */
    DONE,
    /** Checkpoints but no {@code DONE}: resumed from the latest. */
    RESUME,
    /** Logs but no checkpoint: it died before its first; started again. */
    RESTART,
    /** Nothing yet. */
    NEW
  }

  private Sweep() {}

  /**
   * Expands the grid in file order (the last axis varies fastest) and validates every point's
   * config, so a bad value fails before anything runs.
   */
  public static List<Point> expand(SweepSpec spec, List<String> extra) {
    for (Map<String, List<String>> grid : spec.grids()) {
      for (String axis : grid.keySet()) {
        if (extra.stream().anyMatch(kv -> kv.startsWith(axis + "="))) {
          throw new ConfigException(
              axis,
              "is an axis of sweep "
                  + spec.source()
                  + ": --set changes every run, the file's axes say which values to sweep");
        }
      }
    }
    List<List<String>> combos = new ArrayList<>();
    for (Map<String, List<String>> grid : spec.grids()) {
      List<List<String>> product = new ArrayList<>();
      product.add(List.of());
      for (List<String> values : grid.values()) {
        List<List<String>> next = new ArrayList<>();
        for (List<String> combo : product) {
          for (String v : values) {
            List<String> c = new ArrayList<>(combo);
            c.add(v);
            next.add(c);
          }
        }
        product = next;
      }
      combos.addAll(product);
    }
    List<Point> points = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (List<String> combo : combos) {
      String name = runName(spec, combo);
      if (!names.add(name)) {
        continue; // in two grids: one run
      }
      String objective = value(combo, SweepSpec.OBJECTIVE);
      List<String> overrides = new ArrayList<>();
      for (String kv : spec.set()) {
        String key = kv.substring(0, kv.indexOf('=') + 1);
        // An axis's value, or the user's --set, replaces the sweep's own setting of a key.
        if (combo.stream().noneMatch(c -> c.startsWith(key))
            && extra.stream().noneMatch(c -> c.startsWith(key))) {
          overrides.add(kv);
        }
      }
      overrides.addAll(combo);
      overrides.addAll(spec.perObjective().getOrDefault(objective, List.of()));
      overrides.addAll(extra);
      overrides.add("run.root=" + new Path(spec.root(), spec.name()));
      overrides.add("run.name=" + name);
      CrossoverConfig config;
      try {
        config = ConfigLoader.load(spec.base(), overrides);
        TokenPlan.check(PlanSpec.of(config));
      } catch (RuntimeException e) {
        throw new ConfigException(
            null, "sweep " + spec.source() + ", run " + name + ": " + e.getMessage());
      }
      points.add(new Point(name, overrides, config));
    }
    return points;
  }

  /**
   * E.g. {@code ar-tiny-u64Ki-s0} or {@code ar-mask0.15-u16Ki}: the objective arm, the model, the
   * unique tokens, any other axis's value labelled, the seed.
   */
  static String runName(SweepSpec spec, List<String> combo) {
    StringBuilder name =
        new StringBuilder(
            Objective.describe(
                    ConfigLoader.load(
                            null,
                            List.of(SweepSpec.OBJECTIVE + "=" + value(combo, SweepSpec.OBJECTIVE)))
                        .objective())
                .label());
    // A fixed order (model, unique tokens, other keys by name, seed last), whatever the order of
    // the axes in the file: the same run always gets the same name.
    List<String> ordered = new ArrayList<>(combo);
    ordered.sort(
        Comparator.comparingInt(
                (String kv) ->
                    kv.startsWith("model.preset=")
                        ? 0
                        : kv.startsWith("budget.unique-tokens=")
                            ? 1
                            : kv.startsWith("run.seed=") ? 3 : 2)
            .thenComparing(kv -> kv.substring(0, kv.indexOf('='))));
    for (String kv : ordered) {
      String key = kv.substring(0, kv.indexOf('='));
      String v = kv.substring(kv.indexOf('=') + 1);
      String label =
          switch (key) {
            case SweepSpec.OBJECTIVE -> null;
            case "model.preset" -> v;
            case "budget.unique-tokens" -> "u" + compact(v);
            case "run.seed" -> "s" + v;
            default -> key.substring(key.lastIndexOf('.') + 1) + v;
          };
      if (label != null) {
        name.append('-').append(label.replaceAll("[^A-Za-z0-9._]+", "_"));
      }
    }
    return name.toString();
  }

  private static String compact(String count) {
    try {
      return Counts.format(Counts.parse(count));
    } catch (RuntimeException e) {
      return count;
    }
  }

  private static String value(List<String> combo, String key) {
    for (String kv : combo) {
      if (kv.startsWith(key + "=")) {
        return kv.substring(key.length() + 1);
      }
    }
    throw new IllegalStateException(key + " missing from " + combo);
  }

  /** The state of a point's run directory. */
  public static State state(Point p, Configuration hadoop) {
    Path dir = new Path(p.config().run().root(), p.config().run().name());
    try {
      FileSystem fs = dir.getFileSystem(hadoop);
      if (fs.exists(new Path(dir, "DONE"))) {
        return State.DONE;
      }
      if (Checkpoints.latest(fs, dir).isPresent()) {
        return State.RESUME;
      }
      return fs.exists(new Path(dir, "metrics.jsonl")) ? State.RESTART : State.NEW;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dir + ": " + e.getMessage(), e);
    }
  }
}
