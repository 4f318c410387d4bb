package io.crossover.driver.report;

import io.crossover.executor.eval.EvalRecord;
import io.crossover.executor.eval.McResult;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * One row of the report: an AR arm against the MDM run that differs from it only in the objective
 * (same model, unique tokens, budget, data), over every seed run for both.
 *
 * @param group what the runs' names share besides the arm and the seed (e.g. {@code u16Ki})
 * @param pairs one AR run and its MDM twin per seed, by seed
 * @param differences settings in which AR and MDM differ besides the objective (should be none)
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

  public String model() {
    return first().config().model().preset();
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

  static EvalRecord at(RunResult r, long step) {
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
   * Per seed, each item's 0/1 outcome for AR ({@code mdm} false) or MDM at a step; null if absent.
   */
  public List<double[]> items(boolean mdm, String task, String metric, long step) {
    List<double[]> out = new ArrayList<>();
    for (Pair p : pairs) {
      McResult m = at(mdm ? p.mdm() : p.ar(), step).tasks().get(task);
      if (m == null || m.perItem() == null) {
        return null;
      }
      out.add(m.perItem().metric(metric));
    }
    return out;
  }

  /** Per seed, each validation sequence's loss for AR or MDM at a step; null if absent. */
  public List<double[]> sequences(boolean mdm, long step) {
    List<double[]> out = new ArrayList<>();
    for (Pair p : pairs) {
      double[] v = at(mdm ? p.mdm() : p.ar(), step).valLossPerSequence();
      if (v == null || v.length == 0) {
        return null;
      }
      out.add(v);
    }
    return out;
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
}
