package io.crossover.driver.report;

import io.crossover.data.Json;
import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.executor.eval.EvalRecord;
import io.crossover.executor.objective.Objective;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What the report reads from one run directory: its saved config and its evaluations.
 *
 * @param name the directory's name
 * @param config the resolved config the run was started with ({@code config.json})
 * @param evals the lines of {@code evals.jsonl}, in step order
 * @param done whether {@code DONE} is there
 * @param problem why the run cannot be compared (planned but never trained; logs that disagree with
 *     its config), or null
 * @param hashes what {@code identity.json} fixed: the dataset manifest's SHA-256 and each task
 *     file's, flattened as {@code dataset} and {@code task <spec>} (empty when the run has none)
 */
public record RunResult(
    String name,
    CrossoverConfig config,
    List<EvalRecord> evals,
    boolean done,
    String problem,
    Map<String, String> hashes) {
  /** The run in {@code dir}, or empty when it holds no {@code config.json}. */
  public static Optional<RunResult> load(FileSystem fs, Path dir) throws IOException {
    Path config = new Path(dir, "config.json");
    if (!fs.exists(config)) {
      return Optional.empty();
    }
    CrossoverConfig c;
    try (var in = fs.open(config)) {
      c = ConfigLoader.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    List<EvalRecord> evals = new ArrayList<>();
    Path file = new Path(dir, "evals.jsonl");
    if (fs.exists(file)) {
      try (BufferedReader in =
          new BufferedReader(new InputStreamReader(fs.open(file), StandardCharsets.UTF_8))) {
        int lineNo = 0;
        for (String line; (line = in.readLine()) != null; ) {
          lineNo++;
          if (line.isBlank()) {
            continue;
          }
          try {
            evals.add(Json.fromSnakeLine(line, EvalRecord.class));
          } catch (IllegalArgumentException e) {
            throw new IOException(
                file + " line " + lineNo + ": not an evaluation record (" + e.getMessage() + ")",
                e);
          }
        }
      }
    }
    evals.sort(Comparator.comparingLong(EvalRecord::step));
    Path metrics = new Path(dir, "metrics.jsonl");
    String problem =
        !fs.exists(metrics) && evals.isEmpty()
            ? "never trained: made by `crossover plan`, or its training failed before its first step"
            : consistency(fs, metrics, file, c);
    boolean done = fs.exists(new Path(dir, "DONE"));
    if (problem == null && !done) {
      problem = unfinished(c, evals);
    }
    return Optional.of(new RunResult(dir.getName(), c, evals, done, problem, hashes(fs, dir)));
  }

  /**
   * Why a run without {@code DONE} is not compared: its last evaluation is not the end of its
   * training, and pairing it with a finished twin would call an early model the objective's.
   */
  private static String unfinished(CrossoverConfig c, List<EvalRecord> evals) {
    long perStep = (long) c.budget().globalBatch() * c.budget().seqLen();
    long steps = c.budget().totalTokens() / perStep;
    String last =
        evals.isEmpty()
            ? "no evaluation yet"
            : "last evaluated at step " + evals.get(evals.size() - 1).step();
    return "unfinished (no DONE): "
        + last
        + " of "
        + steps
        + "; still training, or stopped before its end (resume it with `crossover train"
        + " --resume`, or `crossover sweep` again)";
  }

  /** identity.json's hashes, flattened; empty when the file is absent. */
  private static Map<String, String> hashes(FileSystem fs, Path dir) throws IOException {
    Path file = new Path(dir, "identity.json");
    Map<String, String> out = new TreeMap<>();
    if (!fs.exists(file)) {
      return out;
    }
    try (var in = fs.open(file)) {
      var n = Json.MAPPER.readTree(in);
      out.put("dataset", n.path("dataset-manifest-sha256").asText());
      n.path("tasks")
          .fields()
          .forEachRemaining(t -> out.put("task " + t.getKey(), t.getValue().asText()));
    }
    return out;
  }

  /**
   * The first line of metrics.jsonl or evals.jsonl whose budget disagrees with config.json (a
   * directory whose config was rewritten, or that holds two runs), or null when all agree.
   */
  private static String consistency(FileSystem fs, Path metrics, Path evals, CrossoverConfig c)
      throws IOException {
    long unique = c.budget().uniqueTokens();
    long perStep = (long) c.budget().globalBatch() * c.budget().seqLen();
    for (Path file : List.of(metrics, evals)) {
      if (!fs.exists(file)) {
        continue;
      }
      try (BufferedReader in =
          new BufferedReader(new InputStreamReader(fs.open(file), StandardCharsets.UTF_8))) {
        int lineNo = 0;
        for (String line; (line = in.readLine()) != null; ) {
          lineNo++;
          if (line.isBlank() || !line.endsWith("}")) {
            continue;
          }
          var n = Json.MAPPER.readTree(line);
          long step = n.path("step").asLong();
          String where = file.getName() + " line " + lineNo;
          if (n.path("unique_tokens").asLong(unique) != unique) {
            return where
                + " was logged with "
                + n.path("unique_tokens").asLong()
                + " unique tokens, config.json says budget.unique-tokens="
                + unique;
          }
          if (n.has("tokens_seen") && n.path("tokens_seen").asLong() != step * perStep) {
            return where
                + " has "
                + n.path("tokens_seen").asLong()
                + " tokens seen at step "
                + step
                + ", config.json says "
                + perStep
                + " tokens per step";
          }
        }
      }
    }
    return null;
  }

  /** The run's objective (its arm, family, loss kind), from its saved config. */
  public Objective objective() {
    return Objective.describe(config.objective());
  }

  public long seed() {
    return config.run().seed();
  }

  /**
   * The run's name without its leading objective arm: what its partners under the other objective
   * share (for {@code ar-mask0.15-u16Ki-s2}: {@code u16Ki-s2}).
   */
  public String pairKey() {
    String prefix = objective().label() + "-";
    return name.startsWith(prefix) ? name.substring(prefix.length()) : name;
  }

  /** The pair key without the seed's label ({@code -sN}): what the runs of all seeds share. */
  public String groupKey() {
    String key = pairKey();
    String label = "s" + seed();
    for (String part : List.of("-" + label + "-", "-" + label)) {
      int at = key.indexOf(part);
      if (at >= 0 && (part.endsWith("-") || at + part.length() == key.length())) {
        return key.substring(0, at)
            + (part.endsWith("-") ? "-" : "")
            + key.substring(at + part.length());
      }
    }
    return key.equals(label)
        ? ""
        : key.startsWith(label + "-") ? key.substring(label.length() + 1) : key;
  }

  /** The task names of the evaluations, in file order. */
  public List<String> tasks() {
    return evals.isEmpty()
        ? List.of()
        : new ArrayList<>(evals.get(evals.size() - 1).tasks().keySet());
  }
}
