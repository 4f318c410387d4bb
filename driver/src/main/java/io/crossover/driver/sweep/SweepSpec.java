package io.crossover.driver.sweep;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.crossover.data.config.ConfigException;
import io.crossover.data.config.ConfigLoader;
import io.crossover.driver.report.Curves;
import io.crossover.driver.report.Report;
import io.crossover.executor.objective.Arms;
import io.crossover.executor.objective.Objective;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A sweep file (HOCON, in {@code conf/sweeps/} or anywhere): a base config, settings for every run,
 * and the axes whose product is the grid.
 *
 * <pre>
 * name = "toy"
 * base = "quickstart"                  # a config file or a name in conf/
 * root = "runs/sweeps"                 # runs go to root/name/run-name
 * set { "budget.total-tokens" = 8Mi }  # config keys for every run
 * axes {
 *   "objective.type" = [ar, mdm]       # required, with both objectives
 *   "budget.unique-tokens" = [64Ki, 256Ki, 1Mi]
 * }
 * grids = [ { "objective.type" = ["ar+mask0.15"], "budget.unique-tokens" = [64Ki] } ]
 *                                      # more grids; the runs are the union of all products, and
 *                                      # a grid's axis overrides the same key in set
 * per-objective { mdm { "optim.lr" = 1e-3 } }  # refused unless allow-unmatched = true
 * parallel = 1                         # barrier stages at once, when the cluster has the slots
 * continue-on-failure = true
 * metric = "acc"                       # the report's ranking metric: acc, acc_norm or acc_mi
 * margin = 0.02                        # the report's equivalence margin for a score that holds
 * </pre>
 *
 * @param name the sweep's directory under root
 * @param base config file or name under conf/
 * @param root where the sweep's directory is made
 * @param set key=value overrides for every run, in file order
 * @param grids the axes (key -> values, in file order) of the main grid, then of each grid in
 *     {@code grids}; the runs are the union of their products
 * @param perObjective objective -> overrides only its runs get (breaks matched comparisons)
 * @param allowUnmatched whether per-objective settings are allowed
 * @param parallel runs at once at most
 * @param continueOnFailure whether a failed run lets the sweep go on
 * @param metric what the report's crossover and data potential are computed on
 * @param margin the report's equivalence margin (a score "holds" when its change's 90% interval
 *     lies within ±margin)
 * @param source the file, for messages
 */
public record SweepSpec(
    String name,
    String base,
    String root,
    List<String> set,
    List<Map<String, List<String>>> grids,
    Map<String, List<String>> perObjective,
    boolean allowUnmatched,
    int parallel,
    boolean continueOnFailure,
    String metric,
    double margin,
    String source) {
  static final String OBJECTIVE = "objective.type";
  static final Set<String> KEYS =
      Set.of(
          "name",
          "base",
          "root",
          "set",
          "axes",
          "grids",
          "per-objective",
          "allow-unmatched",
          "parallel",
          "continue-on-failure",
          "metric",
          "margin");

  /** The same sweep with its runs under another root. */
  public SweepSpec withRoot(String newRoot) {
    return new SweepSpec(
        name,
        base,
        newRoot,
        set,
        grids,
        perObjective,
        allowUnmatched,
        parallel,
        continueOnFailure,
        metric,
        margin,
        source);
  }

  /** What the sweep's report reads its claims on. */
  public Report.Settings report() {
    return new Report.Settings(metric, margin);
  }

  /** Every key that is an axis of some grid. */
  public Set<String> axisKeys() {
    Set<String> out = new LinkedHashSet<>();
    for (Map<String, List<String>> g : grids) {
      out.addAll(g.keySet());
    }
    return out;
  }

  /** Reads a sweep file: a path, or a name in conf/sweeps/ (with or without .conf). */
  public static SweepSpec load(String fileOrName) {
    Config c;
    // Typesafe's ConfigException is qualified here: ours (io.crossover.data.config) has its name.
    try {
      c =
          ConfigFactory.parseString(
                  text(fileOrName), ConfigParseOptions.defaults().setOriginDescription(fileOrName))
              .resolve();
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(
          null, "cannot parse sweep file " + fileOrName + ": " + e.getMessage());
    }
    return parse(c, fileOrName);
  }

  /** The text of a sweep file: a path, or a name in conf/sweeps/ shipped in the jar. */
  public static String text(String fileOrName) {
    Path file = Path.of(fileOrName);
    String name = fileOrName.endsWith(".conf") ? fileOrName : fileOrName + ".conf";
    try {
      if (Files.isRegularFile(file)) {
        return Files.readString(file);
      }
      try (InputStream in =
          SweepSpec.class
              .getClassLoader()
              .getResourceAsStream(ConfigLoader.CONF_RESOURCE_DIR + "sweeps/" + name)) {
        if (in != null) {
          return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read sweep file " + fileOrName, e);
    }
    throw new ConfigException(
        null,
        "sweep file '" + fileOrName + "' not found (neither a file nor a name in conf/sweeps/)");
  }

  static SweepSpec parse(Config c, String source) {
    for (String key : c.root().keySet()) {
      if (!KEYS.contains(key)) {
        throw error(source, key, "is not a sweep setting; known: " + String.join(", ", KEYS));
      }
    }
    for (String key : List.of("name", "base", "axes")) {
      if (!c.hasPath(key)) {
        throw error(source, key, "is missing");
      }
    }
    String name = c.getString("name");
    if (!name.matches("[A-Za-z0-9._-]+")) {
      throw error(source, "name", "\"" + name + "\" must be letters, digits, '.', '_' or '-'");
    }
    List<Map<String, List<String>>> grids = new ArrayList<>();
    grids.add(axes(c.getConfig("axes"), "axes", source));
    if (c.hasPath("grids")) {
      List<? extends Config> more;
      try {
        more = c.getConfigList("grids");
      } catch (com.typesafe.config.ConfigException e) {
        throw error(
            source, "grids", "must be a list of axes objects, e.g. [{ \"run.seed\" = [2, 3] }]");
      }
      for (int g = 0; g < more.size(); g++) {
        grids.add(axes(more.get(g), "grids[" + g + "]", source));
      }
    }
    List<Objective> described = new ArrayList<>();
    Set<String> arms = new LinkedHashSet<>();
    for (int g = 0; g < grids.size(); g++) {
      List<String> objectives = grids.get(g).get(OBJECTIVE);
      String where = g == 0 ? "axes." : "grids[" + (g - 1) + "].";
      if (objectives == null) {
        throw error(
            source,
            where + OBJECTIVE,
            "is missing: every grid names its objectives (e.g. [ar, mdm], or [ar+mask0.15])");
      }
      for (String kv : objectives) {
        String arm = kv.substring(OBJECTIVE.length() + 1);
        Objective o;
        try {
          o = Objective.describe(ConfigLoader.load(null, List.of(kv)).objective());
        } catch (ConfigException e) {
          throw error(source, where + OBJECTIVE, "value " + arm + ": " + e.getMessage());
        }
        described.add(o);
        arms.add(arm);
      }
    }
    if (!Arms.comparable(described)) {
      throw error(
          source,
          "axes." + OBJECTIVE,
          "must list an AR arm and mdm, e.g. [ar, mdm]: a sweep compares them");
    }
    List<String> set = new ArrayList<>();
    if (c.hasPath("set")) {
      for (Map.Entry<String, ConfigValue> e : flat(c.getConfig("set"))) {
        // A further grid may set a key the others take from `set` (e.g. another model).
        if (grids.get(0).containsKey(e.getKey())) {
          throw error(source, "set." + e.getKey(), "is also an axis; keep one of them");
        }
        set.add(e.getKey() + "=" + render(e.getValue()));
      }
    }
    Map<String, List<String>> perObjective = new LinkedHashMap<>();
    if (c.hasPath("per-objective")) {
      Config po = c.getConfig("per-objective");
      for (String objective : po.root().keySet()) {
        if (!arms.contains(objective)) {
          throw error(
              source,
              "per-objective." + objective,
              "is not an arm of the objective axis (" + String.join(", ", arms) + ")");
        }
        List<String> overrides = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> e : flat(po.getConfig(objective))) {
          overrides.add(e.getKey() + "=" + render(e.getValue()));
        }
        perObjective.put(objective, overrides);
      }
    }
    boolean allowUnmatched = c.hasPath("allow-unmatched") && c.getBoolean("allow-unmatched");
    if (!perObjective.isEmpty() && !allowUnmatched) {
      throw error(
          source,
          "per-objective",
          "gives AR and MDM different settings ("
              + perObjective
              + "), so their comparison would not be matched; remove it, or set"
              + " allow-unmatched = true to run it anyway (the report lists the differences)");
    }
    int parallel = c.hasPath("parallel") ? c.getInt("parallel") : 1;
    if (parallel < 1) {
      throw error(source, "parallel", "must be at least 1");
    }
    String metric = c.hasPath("metric") ? c.getString("metric") : "acc";
    if (!Curves.METRICS.contains(metric)) {
      throw error(
          source,
          "metric",
          "\"" + metric + "\" is not one of " + String.join(", ", Curves.METRICS));
    }
    double margin = c.hasPath("margin") ? c.getDouble("margin") : Report.Settings.DEFAULT_MARGIN;
    if (!(margin > 0 && margin < 1)) {
      throw error(
          source,
          "margin",
          margin + " is not in (0, 1): the equivalence margin is a share of items, e.g. 0.02");
    }
    return new SweepSpec(
        name,
        c.getString("base"),
        c.hasPath("root") ? c.getString("root") : "runs/sweeps",
        set,
        grids,
        perObjective,
        allowUnmatched,
        parallel,
        !c.hasPath("continue-on-failure") || c.getBoolean("continue-on-failure"),
        metric,
        margin,
        source);
  }

  /** One grid's axes: key -> values as key=value, in file order. */
  private static Map<String, List<String>> axes(Config c, String where, String source) {
    Map<String, List<String>> axes = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : flat(c)) {
      String key = e.getKey();
      if (e.getValue().valueType() != ConfigValueType.LIST) {
        throw error(source, where + "." + key, "must be a list of values, e.g. [a, b]");
      }
      List<String> values = new ArrayList<>();
      for (ConfigValue v : (ConfigList) e.getValue()) {
        values.add(key + "=" + render(v));
      }
      if (values.isEmpty()) {
        throw error(source, where + "." + key, "is empty");
      }
      if (key.startsWith("run.name") || key.startsWith("run.root")) {
        throw error(source, where + "." + key, "is set by the sweep itself; remove it");
      }
      axes.put(key, values);
    }
    return axes;
  }

  /** Leaves with their dotted keys; a quoted "a.b" key and a nested a { b } read the same. */
  private static List<Map.Entry<String, ConfigValue>> flat(Config c) {
    List<Map.Entry<String, ConfigValue>> out = new ArrayList<>();
    for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
      out.add(Map.entry(String.join(".", ConfigUtil.splitPath(e.getKey())), e.getValue()));
    }
    // entrySet has no order; file order is kept by the origin's line numbers.
    out.sort(
        Comparator.comparingInt(
            (Map.Entry<String, ConfigValue> e) -> e.getValue().origin().lineNumber()));
    return out;
  }

  private static String render(ConfigValue v) {
    if (v.valueType() == ConfigValueType.STRING) {
      return (String) v.unwrapped();
    }
    return v.render(ConfigRenderOptions.concise());
  }

  private static ConfigException error(String source, String key, String message) {
    return new ConfigException(null, "sweep " + source + ": " + key + " " + message);
  }
}
