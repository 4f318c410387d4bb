package io.crossover.driver.report;

import io.crossover.data.stats.LawFit;
import io.crossover.executor.eval.EvalRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The data-reuse law (docs/SCIENCE.md), fitted per objective to the validation curves of the
 * reference model's rows without a control: each objective's half-life R* with its interval, their
 * ratio, and per budget where MDM's fitted loss passes AR's best (beside where its measured one
 * did). AR's law is fitted to its NLL, MDM's to its ELBO, an upper bound on its NLL.
 *
 * @param model the model the law is fitted for (empty: no rows)
 * @param result the fits, or null without rows
 * @param seeds the fewest seeds of any row fitted
 * @param ratio MDM's R* over AR's, with its interval (null unless both fits converged)
 * @param crossings per budget, in order
 */
public record ReuseLaws(
    Optional<String> model,
    LawFit.Result result,
    int seeds,
    LawFit.Interval ratio,
    List<LawFit.Crossing> crossings) {
  static final String AR = "ar";
  static final String MDM = "mdm";

  /** Fits the law to the rows of {@code model} without a control. */
  static ReuseLaws of(List<Comparison> usable, Optional<String> model) {
    List<LawFit.Curve> curves = new ArrayList<>();
    int seeds = Integer.MAX_VALUE;
    List<Row> rows = new ArrayList<>();
    for (Comparison c : usable) {
      Row row = c.row();
      if (model.isEmpty() || !row.model().equals(model.get()) || row.control().isPresent()) {
        continue;
      }
      rows.add(row);
      seeds = Math.min(seeds, row.seeds());
      for (Row.Pair p : row.pairs()) {
        curve(AR, p.ar()).ifPresent(curves::add);
        curve(MDM, p.mdm()).ifPresent(curves::add);
      }
    }
    if (curves.isEmpty()) {
      return new ReuseLaws(model, null, 0, null, List.of());
    }
    LawFit.Result result = LawFit.fit(curves, LawFit.RESAMPLES, 1);
    LawFit.Fit ar = result.fits().get(AR);
    LawFit.Fit mdm = result.fits().get(MDM);
    if (ar == null || mdm == null || ar.law() == null || mdm.law() == null) {
      return new ReuseLaws(model, result, seeds, null, List.of());
    }
    LawFit.Interval ratio =
        result.interval(
            mdm.law().halfLife() / ar.law().halfLife(),
            r -> r.get(MDM).halfLife() / r.get(AR).halfLife());
    List<LawFit.Crossing> crossings = new ArrayList<>();
    for (Row row : rows) {
      crossings.add(
          LawFit.crossing(result, AR, MDM, row.uniqueTokens(), (double) row.totalTokens()));
    }
    return new ReuseLaws(model, result, seeds, ratio, crossings);
  }

  /** A run's validation curve, when every evaluation kept its per-sequence losses. */
  private static Optional<LawFit.Curve> curve(String objective, RunResult run) {
    List<EvalRecord> evals = run.evals();
    if (evals.isEmpty()
        || evals.stream().anyMatch(e -> e.valLossPerSequence() == null || e.valDocs() == null)) {
      return Optional.empty();
    }
    double[] tokens = new double[evals.size()];
    double[][] losses = new double[evals.size()][];
    for (int j = 0; j < evals.size(); j++) {
      tokens[j] = evals.get(j).tokensSeen();
      losses[j] = evals.get(j).valLossPerSequence();
    }
    return Optional.of(
        new LawFit.Curve(
            objective,
            evals.get(evals.size() - 1).valLossKind(),
            run.config().budget().uniqueTokens(),
            tokens,
            losses,
            evals.get(0).valDocs()));
  }

  /** One objective's fit, or null. */
  public LawFit.Fit fit(String objective) {
    return result == null ? null : result.fits().get(objective);
  }

  /** Both fits locate R*. */
  public boolean identified() {
    LawFit.Fit ar = fit(AR);
    LawFit.Fit mdm = fit(MDM);
    return ar != null && mdm != null && ar.identified() && mdm.identified();
  }

  /** As report.json writes it. */
  Map<String, Object> json() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", model.orElse(null));
    m.put(
        "law",
        "L = E + B / (D'/Mi)^beta, D' = U (1 + R* (1 - exp(-(D/U - 1) / R*))) past one epoch;"
            + " fitted to the best so far of each budget's seed-mean validation loss");
    m.put(
        "interval_method",
        "bias-corrected 95% percentiles of "
            + LawFit.RESAMPLES
            + " resamples of seeds (within each budget), validation documents and each"
            + " evaluation's residual (coverage in simulation: 84%)");
    for (String objective : List.of(AR, MDM)) {
      LawFit.Fit f = fit(objective);
      if (f == null) {
        continue;
      }
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("identified", f.identified());
      o.put("why_not", f.why());
      if (f.law() != null) {
        o.put("half_life_epochs", interval(f.halfLife()));
        o.put("exponent", interval(f.exponent()));
        o.put("irreducible_loss", interval(f.floor()));
        o.put("scale", f.law().b());
      }
      o.put("points", f.points().size());
      m.put(objective, o);
    }
    m.put("half_life_ratio", ratio == null ? null : interval(ratio));
    List<Map<String, Object>> rows = new ArrayList<>();
    for (LawFit.Crossing c : crossings) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("unique_tokens", (long) c.unique());
      r.put("total_tokens", (long) c.total());
      r.put("ar_best_fitted", c.target());
      r.put("predicted_tokens", interval(c.predicted()));
      r.put("observed_tokens", Double.isNaN(c.observed()) ? null : (long) c.observed());
      rows.add(r);
    }
    m.put("crossings", rows);
    return m;
  }

  private static Map<String, Object> interval(LawFit.Interval i) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("value", number(i.value()));
    m.put("low", number(i.low()));
    m.put("high", number(i.high()));
    return m;
  }

  /** JSON has no infinity: a law that never gets there is written "never". */
  private static Object number(double v) {
    return v == Double.POSITIVE_INFINITY ? "never" : Double.isNaN(v) ? null : v;
  }
}
