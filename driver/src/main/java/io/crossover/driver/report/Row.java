package io.crossover.driver.report;

import io.crossover.executor.eval.EvalRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * One row of the report: an AR run and the MDM run that differs from it only in the objective (same
 * model, unique tokens, budget, data and seed).
 *
 * @param ar the AR run
 * @param mdm the MDM run
 * @param differences settings in which the two differ besides the objective (should be none)
 */
public record Row(RunResult ar, RunResult mdm, List<String> differences) {
  public String model() {
    return ar.config().model().preset();
  }

  public long uniqueTokens() {
    return ar.config().budget().uniqueTokens();
  }

  public long totalTokens() {
    return ar.config().budget().totalTokens();
  }

  /** The evaluations both runs have, matched by step: [0] AR, [1] MDM. */
  public List<EvalRecord[]> common() {
    List<EvalRecord[]> out = new ArrayList<>();
    int j = 0;
    for (EvalRecord a : ar.evals()) {
      while (j < mdm.evals().size() && mdm.evals().get(j).step() < a.step()) {
        j++;
      }
      if (j < mdm.evals().size() && mdm.evals().get(j).step() == a.step()) {
        out.add(new EvalRecord[] {a, mdm.evals().get(j)});
      }
    }
    return out;
  }

  /** The evaluation at which MDM starts to stay above AR on a task's metric, or null. */
  public EvalRecord crossover(String task, String metric) {
    return crossoverBy(e -> Curves.value(e, task, metric));
  }

  /**
   * The evaluation from which MDM's validation ELBO stays below AR's validation NLL, or null. The
   * ELBO bounds MDM's NLL from above, so below AR's NLL means MDM's likelihood is the better one.
   */
  public EvalRecord lossCrossover() {
    return crossoverBy(e -> -e.valLoss());
  }

  /** The MDM evaluation from which MDM's {@code score} stays above AR's (higher is better). */
  private EvalRecord crossoverBy(java.util.function.ToDoubleFunction<EvalRecord> score) {
    List<EvalRecord[]> both = common();
    double[] a = new double[both.size()];
    double[] m = new double[both.size()];
    for (int i = 0; i < both.size(); i++) {
      a[i] = score.applyAsDouble(both.get(i)[0]);
      m[i] = score.applyAsDouble(both.get(i)[1]);
    }
    int i = Crossovers.crossoverIndex(a, m);
    return i < 0 ? null : both.get(i)[1];
  }

  static double last(RunResult r, String task, String metric) {
    return r.evals().isEmpty()
        ? Double.NaN
        : Curves.value(r.evals().get(r.evals().size() - 1), task, metric);
  }

  static double best(RunResult r, String task, String metric) {
    double best = Double.NaN;
    for (EvalRecord e : r.evals()) {
      double v = Curves.value(e, task, metric);
      if (!Double.isNaN(v) && (Double.isNaN(best) || v > best)) {
        best = v;
      }
    }
    return best;
  }

  static double lastLoss(RunResult r) {
    return r.evals().isEmpty() ? Double.NaN : r.evals().get(r.evals().size() - 1).valLoss();
  }
}
