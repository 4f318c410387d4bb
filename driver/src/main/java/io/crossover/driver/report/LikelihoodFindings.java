package io.crossover.driver.report;

import io.crossover.data.stats.Clustered;
import io.crossover.data.stats.Estimate;
import io.crossover.data.stats.LawFit;
import io.crossover.driver.report.Findings.Finding;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The claims read on validation likelihoods: AR's loss rising while its score holds, MDM's ELBO
 * below AR's final and best NLL (an upper bound: reproduced or not, never contradicted) and the
 * data-reuse half-lives. Each is decided by its {@link Claim.Rule}; see {@link Findings}.
 */
final class LikelihoodFindings {
  private LikelihoodFindings() {}

  static Finding arRises(Claim claim, Comparison c, String metric, double margin) {
    if (c == null) {
      return Findings.untested(claim, "no run repeats its data");
    }
    if (c.arBestStep() < 0) {
      return Findings.untested(claim, "the runs recorded no paired per-sequence validation losses");
    }
    if (c.arBestStep() == c.last().step()) {
      return Findings.finding(
          claim,
          Status.NOT_SHOWN,
          Prose.budget(c)
              + ", AR's validation loss is lowest at its final evaluation (on the documents the"
              + " best is chosen on): it does not rise.",
          Findings.evidence(c, null));
    }
    if (c.arRise() == null) {
      return Findings.untested(claim, "too few validation documents to choose and measure apart");
    }
    if (c.arScoreChange() == null) {
      return Findings.untested(
          claim, "AR's evaluations at its best and at the end scored no common items");
    }
    Estimate rise = c.arRise();
    Comparison.ScoreChange change = c.arScoreChange();
    Estimate d = change.change();
    Estimate tost = d.atLevel(0.90);
    Map<String, Object> evidence = Findings.evidence(c, rise);
    evidence.put("ar_best_epoch", c.row().epochAt(c.arBestStep()));
    evidence.put("score_change", Prose.interval(d));
    evidence.put("score_change_90", Prose.interval(tost));
    evidence.put("equivalence_margin", margin);
    evidence.put("ar_score_at_best", Prose.score(change.atBest(), true));
    String loss =
        String.format(
            Locale.ROOT,
            "%s, AR's validation %s %s %s nats per token from its best evaluation (epoch %.1f,"
                + " chosen on half of the validation documents, measured on the other half) to the"
                + " end of training",
            Prose.budget(c),
            Findings.kind(c.last().arLossKind()),
            rise.positive() ? "rises by" : "changes by",
            Prose.ci(rise),
            c.row().epochAt(c.arBestStep()));
    if (!rise.positive()) {
      return Findings.finding(
          claim,
          Status.NOT_SIGNIFICANT,
          loss + ", not a significant rise" + Prose.detectable(rise, " nats") + ".",
          evidence);
    }
    if (!change.atBest().aboveChance()) {
      return Findings.finding(
          claim,
          Status.NOT_MEASURABLE,
          String.format(
              Locale.ROOT,
              "%s, but its %s at that best evaluation is %s on the %,d items both evaluations"
                  + " scored, not above chance (%s): a score the task does not see cannot be seen"
                  + " to hold or fall.",
              loss,
              metric,
              Prose.score(change.atBest()),
              d.items(),
              Prose.chance(change.atBest())),
          evidence);
    }
    String within =
        String.format(
            Locale.ROOT,
            "its 90%% interval [%+.3f, %+.3f] %s the equivalence margin ±%.3f (two one-sided tests"
                + " at 5%%)",
            tost.low(),
            tost.high(),
            tost.low() > -margin && tost.high() < margin ? "lies within" : "is not within",
            margin);
    Status status;
    String score;
    if (d.negative()) {
      status = Findings.side(false, true, Findings.objectives(c));
      score = "its " + metric + " falls by " + Prose.ci(d);
    } else if (d.positive()) {
      status = Findings.side(true, false, Findings.objectives(c));
      score = "its " + metric + " rises by " + Prose.ci(d) + ": it does not fall";
    } else if (tost.low() > -margin && tost.high() < margin) {
      status = Findings.side(true, false, Findings.objectives(c));
      score = "its " + metric + " changes by " + Prose.ci(d) + "; " + within;
    } else {
      status = Status.NOT_SHOWN;
      score =
          "its "
              + metric
              + " changes by "
              + Prose.ci(d)
              + "; "
              + within
              + ", so that it holds is not shown";
    }
    return Findings.finding(claim, status, loss + ", while " + score + ".", evidence);
  }

  static Finding overfit(Claim claim, Comparison c) {
    if (c == null || c.elboVsFinalNll() == null) {
      return Findings.untested(
          claim, c == null ? "no run repeats its data" : "no paired validation sequences");
    }
    Status status = bound(c.elboVsFinalNll(), Findings.objectives(c));
    return Findings.finding(
        claim,
        status,
        String.format(
                Locale.ROOT,
                "%s, MDM's final %s minus AR's final %s is %s nats per token (%d validation"
                    + " sequences from %d documents)",
                Prose.budget(c),
                Findings.kind(c.last().mdmLossKind()),
                Findings.kind(c.last().arLossKind()),
                Prose.ci(c.elboVsFinalNll()),
                c.elboVsFinalNll().items(),
                c.elboVsFinalNll().clusters())
            + boundNote(status, c.elboVsFinalNll())
            + ".",
        Findings.evidence(c, c.elboVsFinalNll()));
  }

  static Finding earlyStopped(Claim claim, Comparison c) {
    if (c == null || c.elboVsBestNll() == null) {
      return Findings.untested(
          claim,
          c == null ? "no run repeats its data" : "too few validation documents to split in two");
    }
    Status status = bound(c.elboVsBestNll(), Findings.objectives(c));
    Map<String, Object> evidence = Findings.evidence(c, c.elboVsBestNll());
    evidence.put("ar_best_epoch", c.row().epochAt(c.arBestStep()));
    return Findings.finding(
        claim,
        status,
        String.format(
                Locale.ROOT,
                "%s, MDM's final %s minus AR's %s at its best evaluation (epoch %.1f, chosen on"
                    + " the even-numbered validation documents, measured on the %d sequences of"
                    + " the odd-numbered ones) is %s nats per token",
                Prose.budget(c),
                Findings.kind(c.last().mdmLossKind()),
                Findings.kind(c.last().arLossKind()),
                c.row().epochAt(c.arBestStep()),
                c.elboVsBestNll().items(),
                Prose.ci(c.elboVsBestNll()))
            + boundNote(status, c.elboVsBestNll())
            + ".",
        evidence);
  }

  /**
   * The half-life ratio: reproduced when its interval lies above 1 (every budget with {@link
   * Clustered#OBJECTIVE_SEEDS} seeds), contradicted below; not identified when either fit cannot
   * locate its R*.
   */
  static Finding halfLives(Claim claim, ReuseLaws laws) {
    LawFit.Fit ar = laws.fit(ReuseLaws.AR);
    LawFit.Fit mdm = laws.fit(ReuseLaws.MDM);
    if (ar == null || mdm == null) {
      return Findings.untested(
          claim, "no run kept its validation loss per sequence to fit the law to");
    }
    long repeated =
        ar.points().stream()
            .filter(p -> p.tokens() > p.unique())
            .map(p -> p.unique())
            .distinct()
            .count();
    if (repeated == 0) {
      return Findings.untested(
          claim, "no run repeats its data, so no curve shows what repetition is worth");
    }
    Map<String, Object> evidence = new LinkedHashMap<>();
    evidence.put("budgets", LawFit.budgets(ar.points()).size());
    evidence.put("seeds", laws.seeds());
    if (!laws.identified()) {
      List<String> why = new ArrayList<>();
      for (var e : List.of(Map.entry("AR", ar), Map.entry("MDM", mdm))) {
        if (!e.getValue().identified()) {
          why.add(e.getKey() + "'s " + e.getValue().why());
        }
      }
      return Findings.finding(
          claim,
          Status.NOT_IDENTIFIED,
          String.format(
              Locale.ROOT,
              "fitted to %d budget%s, %s, so no ratio is claimed.",
              LawFit.budgets(ar.points()).size(),
              LawFit.budgets(ar.points()).size() == 1 ? "" : "s",
              String.join("; ", why)),
          evidence);
    }
    LawFit.Interval ratio = laws.ratio();
    boolean objectives = laws.seeds() >= Clustered.OBJECTIVE_SEEDS;
    Status status = Findings.side(ratio.low() > 1, ratio.high() < 1, objectives);
    evidence.put("ratio", ratio.value());
    evidence.put("low", ratio.low());
    evidence.put("high", ratio.high());
    evidence.put("ar_half_life", ar.halfLife().value());
    evidence.put("mdm_half_life", mdm.halfLife().value());
    return Findings.finding(
        claim,
        status,
        String.format(
            Locale.ROOT,
            "fitting Muennighoff et al.'s data-constrained law to the best seed-mean validation"
                + " loss so far at %d budgets (at the fewest, %s), MDM's R* is %s epochs and"
                + " AR's %s: a ratio of %s (95%% intervals from resampling seeds, validation"
                + " documents and each evaluation's residual, which covered the truth in 84%% of"
                + " simulated studies; MDM's law is fitted to its ELBO). The reference fits about 500"
                + " against about 15.",
            LawFit.budgets(ar.points()).size(),
            Prose.seeds(laws.seeds()),
            Prose.interval(mdm.halfLife()),
            Prose.interval(ar.halfLife()),
            Prose.interval(ratio)),
        evidence);
  }

  /** A claim made with an upper bound (ELBO below NLL): reproduced, or at most not reproduced. */
  private static Status bound(Estimate d, boolean objectives) {
    return d.positive() ? Status.NOT_REPRODUCED : Findings.side(d.negative(), false, objectives);
  }

  private static String boundNote(Status s, Estimate d) {
    return switch (s) {
      case NOT_REPRODUCED ->
          ": above 0, which an upper bound on MDM's NLL cannot turn into a contradiction";
      case NOT_SIGNIFICANT -> Prose.detectable(d, " nats");
      default -> "";
    };
  }
}
