package io.crossover.driver.report;

import io.crossover.data.stats.Clustered;
import io.crossover.executor.eval.EvalRecord;
import io.crossover.executor.eval.McResult;
import io.crossover.executor.model.ModelSize;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * One row of the report: an AR arm against the MDM run that differs from it only in the objective
 * (same model, unique tokens, budget, data), over every seed run for both.
 *
 * @param group what the runs' names share besides the arm and the seed (e.g. {@code u16Ki})
 * @param pairs one AR run and its MDM twin per seed, by seed
 * @param differences identity settings in which the runs differ besides the objective (and, across
 *     seeds, the seed): the row is shown but makes no claim when there is any
 */
public record Row(String group, List<Pair> pairs, List<String> differences) {
  /**
   * The two runs of one seed.
   *
   * @param ar the AR arm's run
   * @param mdm the MDM run
   */
  public record Pair(RunResult ar, RunResult mdm) {}

  RunResult first() {
    return pairs.get(0).ar();
  }

  /** The AR arm, e.g. {@code ar} or {@code ar+mask0.15}. */
  public String arm() {
    return first().objective().name();
  }

  /** What the AR arm controls for, if it is a control. */
  public Optional<String> control() {
    return first().objective().control();
  }

  public String model() {
    return first().config().model().preset();
  }

  /** Parameters outside the embedding and head: how models are ordered by size. */
  public long modelSize() {
    return ModelSize.nonEmbeddingParameters(first().config().model(), 0);
  }

  public long uniqueTokens() {
    return first().config().budget().uniqueTokens();
  }

  public long totalTokens() {
    return first().config().budget().totalTokens();
  }

  public double epochs() {
    return (double) totalTokens() / uniqueTokens();
  }

  public int seeds() {
    return pairs.size();
  }

  /** The runs of one arm, by seed. */
  List<RunResult> runs(boolean mdm) {
    return pairs.stream().map(p -> mdm ? p.mdm() : p.ar()).toList();
  }

  /** The steps every run of the row evaluated at, ascending. */
  public List<Long> steps() {
    TreeSet<Long> common = null;
    for (Pair p : pairs) {
      for (RunResult r : List.of(p.ar(), p.mdm())) {
        TreeSet<Long> s = new TreeSet<>();
        r.evals().forEach(e -> s.add(e.step()));
        if (common == null) {
          common = s;
        } else {
          common.retainAll(s);
        }
      }
    }
    return common == null ? List.of() : new ArrayList<>(common);
  }

  public static EvalRecord at(RunResult r, long step) {
    for (EvalRecord e : r.evals()) {
      if (e.step() == step) {
        return e;
      }
    }
    throw new IllegalArgumentException(r.name() + " has no evaluation at step " + step);
  }

  /** The epoch of a step. */
  public double epochAt(long step) {
    return at(first(), step).epoch();
  }

  /**
   * Per-item values of a task metric, aligned by item id across every run of the row.
   *
   * @param ids the items, in the first run's order
   * @param clusters each item's source document, as dense indices
   * @param ar per seed, AR's value on each item
   * @param mdm per seed, MDM's
   * @param sha256 the task file all runs scored
   * @param documents each item's source document, as the task file names it
   * @param chance each item's score under a blind guess, 1 / its choices (NaN where the runs did
   *     not record its choices)
   */
  public record Items(
      List<String> ids,
      int[] clusters,
      List<double[]> ar,
      List<double[]> mdm,
      String sha256,
      List<String> documents,
      double[] chance) {

    /** The items whose ids are in {@code keep}, in this order. */
    public Items only(Set<String> keep) {
      List<Integer> index = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        if (keep.contains(ids.get(i))) {
          index.add(i);
        }
      }
      List<String> docs = index.stream().map(documents::get).toList();
      return new Items(
          index.stream().map(ids::get).toList(),
          Clustered.dense(docs),
          pick(ar, index),
          pick(mdm, index),
          sha256,
          docs,
          index.stream().mapToDouble(i -> chance[i]).toArray());
    }

    private static List<double[]> pick(List<double[]> seeds, List<Integer> index) {
      return seeds.stream().map(x -> index.stream().mapToDouble(i -> x[i]).toArray()).toList();
    }

    /** One arm's score on these items, with its interval, against chance. */
    public ArmScore score(boolean mdmArm) {
      return ArmScore.of(mdmArm ? mdm : ar, chance, clusters);
    }
  }

  /**
   * The ids every run of the row scored at every evaluation in {@code steps}: one item set for a
   * whole curve (evaluations before the last may score fewer items than the last).
   */
  public Set<String> commonIds(String task, List<Long> steps) {
    Set<String> common = null;
    for (long step : steps) {
      Set<String> ids = new HashSet<>(items(task, "acc", step).ids());
      if (common == null) {
        common = ids;
      } else {
        common.retainAll(ids);
      }
    }
    return common == null ? Set.of() : common;
  }

  /**
   * Every run's per-item outcomes on {@code task} at {@code step}, paired by item id; throws {@link
   * Unpaired} saying why they cannot be paired (no ids recorded, another task file, other items).
   */
  public Items items(String task, String metric, long step) {
    List<McResult> results = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (Pair p : pairs) {
      for (RunResult r : List.of(p.ar(), p.mdm())) {
        McResult m = at(r, step).tasks().get(task);
        if (m == null || m.perItem() == null || m.perItem().ids() == null) {
          throw new Unpaired(
              r.name()
                  + " recorded no item ids for "
                  + task
                  + " (evaluated before they were kept); train it again with this version to compare"
                  + " items");
        }
        results.add(m);
        names.add(r.name());
      }
    }
    McResult first = results.get(0);
    List<String> ids = keys(first.perItem().ids());
    for (int k = 1; k < results.size(); k++) {
      McResult m = results.get(k);
      if (!Objects.equals(m.taskSha256(), first.taskSha256())) {
        throw new Unpaired(
            names.get(k) + " scored another " + task + " file than " + names.get(0) + " (SHA-256)");
      }
      if (!new TreeSet<>(keys(m.perItem().ids())).equals(new TreeSet<>(ids))) {
        throw new Unpaired(names.get(k) + " scored other " + task + " items than " + names.get(0));
      }
    }
    List<double[]> ar = new ArrayList<>();
    List<double[]> mdm = new ArrayList<>();
    for (int k = 0; k < results.size(); k++) {
      McResult m = results.get(k);
      Map<String, Integer> index = new HashMap<>();
      List<String> own = keys(m.perItem().ids());
      for (int i = 0; i < own.size(); i++) {
        index.put(own.get(i), i);
      }
      if (metric.equals("delta_nll_per_byte") && m.perItem().deltaNllPerByte() == null) {
        throw new Unpaired(names.get(k) + " recorded no per-item delta-NLL for " + task);
      }
      double[] values = m.perItem().metric(metric);
      double[] aligned = new double[ids.size()];
      for (int i = 0; i < aligned.length; i++) {
        aligned[i] = values[index.get(ids.get(i))];
      }
      (k % 2 == 0 ? ar : mdm).add(aligned);
    }
    List<String> documents = first.perItem().clusters() == null ? ids : first.perItem().clusters();
    float[][] choices = first.perItem().choiceSe();
    double[] chance = new double[ids.size()];
    for (int i = 0; i < chance.length; i++) {
      chance[i] =
          choices == null || choices.length != chance.length || choices[i].length == 0
              ? Double.NaN
              : 1.0 / choices[i].length;
    }
    return new Items(
        ids, Clustered.dense(documents), ar, mdm, first.taskSha256(), documents, chance);
  }

  /** Ids made unique by their occurrence (a file may repeat an id). */
  private static List<String> keys(List<String> ids) {
    Map<String, Integer> seen = new HashMap<>();
    List<String> out = new ArrayList<>(ids.size());
    for (String id : ids) {
      int n = seen.merge(id, 1, Integer::sum);
      out.add(n == 1 ? id : id + "#" + n);
    }
    return out;
  }

  /**
   * Per-sequence validation losses of every run at a step.
   *
   * @param docs each sequence's document in the validation split
   * @param ar per seed, AR's loss on each sequence
   * @param mdm per seed, MDM's
   */
  public record Sequences(int[] docs, List<double[]> ar, List<double[]> mdm) {
    /** The sequences of one half of the documents (even- or odd-numbered ones). */
    public Sequences half(boolean even) {
      List<Integer> keep = new ArrayList<>();
      for (int i = 0; i < docs.length; i++) {
        if ((docs[i] % 2 == 0) == even) {
          keep.add(i);
        }
      }
      int[] d = keep.stream().mapToInt(i -> docs[i]).toArray();
      return new Sequences(d, pick(ar, keep), pick(mdm, keep));
    }

    private static List<double[]> pick(List<double[]> runs, List<Integer> keep) {
      return runs.stream().map(x -> keep.stream().mapToDouble(i -> x[i]).toArray()).toList();
    }

    /** The documents as dense cluster indices. */
    public int[] clusters() {
      return Clustered.dense(Arrays.stream(docs).mapToObj(Integer::toString).toList());
    }
  }

  /** Every run's per-sequence validation loss at a step; throws {@link Unpaired} if not paired. */
  public Sequences sequences(long step) {
    int[] docs = null;
    List<double[]> ar = new ArrayList<>();
    List<double[]> mdm = new ArrayList<>();
    String firstName = null;
    for (Pair p : pairs) {
      for (RunResult r : List.of(p.ar(), p.mdm())) {
        EvalRecord e = at(r, step);
        if (e.valLossPerSequence() == null
            || e.valDocs() == null
            || e.valLossPerSequence().length == 0) {
          throw new Unpaired(
              r.name() + " recorded no per-sequence validation losses with their documents");
        }
        if (docs == null) {
          docs = e.valDocs();
          firstName = r.name();
        } else if (!Arrays.equals(docs, e.valDocs())) {
          throw new Unpaired(r.name() + " was validated on other sequences than " + firstName);
        }
        (r == p.ar() ? ar : mdm).add(e.valLossPerSequence());
      }
    }
    return new Sequences(docs, ar, mdm);
  }

  /** Per seed, a task metric at a step. */
  public double[] metric(boolean mdm, String task, String metric, long step) {
    double[] out = new double[pairs.size()];
    for (int s = 0; s < out.length; s++) {
      out[s] = Curves.value(at(mdm ? pairs.get(s).mdm() : pairs.get(s).ar(), step), task, metric);
    }
    return out;
  }

  /** Per seed, the validation loss at a step. */
  public double[] loss(boolean mdm, long step) {
    double[] out = new double[pairs.size()];
    for (int s = 0; s < out.length; s++) {
      out[s] = at(mdm ? pairs.get(s).mdm() : pairs.get(s).ar(), step).valLoss();
    }
    return out;
  }

  /** Why two sets of outcomes cannot be paired item by item (or sequence by sequence). */
  static final class Unpaired extends RuntimeException {
    Unpaired(String why) {
      super(why, null, false, false);
    }
  }
}
