package io.crossover.driver.report;

import io.crossover.data.config.Counts;
import io.crossover.data.stats.Clustered;
import io.crossover.data.stats.Estimate;
import io.crossover.data.stats.LawFit;
import io.crossover.driver.report.Comparison.Verdict;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The reference study's claims (docs/SCIENCE.md), each given a status by rule from the report's
 * intervals and a sentence generated from its evidence — nobody writes these by hand, and the
 * README quotes them verbatim.
 *
 * <p>The rules, in the order they apply: a claim the runs cannot speak to is <i>not tested</i>; a
 * downstream claim whose arm cannot be told from chance is <i>not measurable</i> (the arm that
 * leads, or where none leads significantly, the arm the claim says should lead); an interval on the
 * claimed side of 0 <i>reproduces</i> the claim and one on the other side <i>contradicts</i> it —
 * with fewer than {@link Clustered#OBJECTIVE_SEEDS} seeds, where the interval covers the models
 * trained but not the objectives, <i>seen in these runs</i> and <i>contradicted in these runs</i>
 * instead; an interval that contains 0 is <i>not significant</i>, with the smallest difference it
 * could have detected. Claims on likelihood can only be reproduced: an ELBO bounds MDM's NLL from
 * above, so an ELBO above AR's NLL is <i>not reproduced</i>, never a contradiction. That a score
 * <i>holds</i> needs its change inside an equivalence margin (two one-sided tests); otherwise it is
 * <i>not shown</i>.
 */
public final class Findings {
  private Findings() {}

  /** How a claim fared: its label, and what it means (report.html lists them). */
  public enum Status {
    REPRODUCED(
        "reproduced",
        "the interval lies on the claimed side of 0, with enough seeds to speak of the objectives"),
    SEEN_IN_THESE_RUNS(
        "seen in these runs",
        "on the claimed side, with fewer seeds than a claim about the objectives needs: it holds"
            + " for the models trained"),
    CONTRADICTED("contradicted", "the interval lies on the other side of 0"),
    CONTRADICTED_IN_THESE_RUNS(
        "contradicted in these runs", "on the other side, for the models trained"),
    NOT_SIGNIFICANT(
        "not significant",
        "the interval contains 0; the finding says the smallest difference it could detect"),
    NOT_REPRODUCED(
        "not reproduced",
        "a claim made with an upper bound (an ELBO) whose interval lies on the other side, which"
            + " the bound cannot turn into a contradiction"),
    NOT_SHOWN(
        "not shown",
        "what the claim needs was not observed: a change not within the equivalence margin, or a"
            + " rise that did not happen"),
    NOT_MEASURABLE(
        "not measurable",
        "the arm the claim rests on scores no better than chance: the task does not see it"),
    NOT_IDENTIFIED(
        "not identified",
        "a fitted law's parameter the claim rests on is not pinned down by the points (the finding"
            + " says why): no number is claimed"),
    NOT_TESTED("not tested", "these runs cannot speak to the claim (the finding says why)");

    private final String label;
    private final String meaning;

    Status(String label, String meaning) {
      this.label = label;
      this.meaning = meaning;
    }

    public String label() {
      return label;
    }

    public String meaning() {
      return meaning;
    }
  }

  /** The reference study's claims: a stable id, the name a finding starts with, the claim. */
  public enum Claim {
    DOWNSTREAM_CROSSOVER(
        "downstream_crossover",
        "Downstream crossover under repetition",
        "Under repetition (scarce unique data) MDM overtakes AR downstream."),
    AR_WINS_PLENTIFUL_DATA(
        "ar_wins_plentiful_data",
        "AR wins with plentiful unique data",
        "With plentiful unique data AR beats MDM downstream."),
    AR_LOSS_RISES_SCORE_HOLDS(
        "ar_loss_rises_score_holds",
        "AR's validation loss rises while its score holds",
        "Under repetition AR's validation loss rises while its downstream score does not fall: it"
            + " stays within the equivalence margin, or rises."),
    MDM_BELOW_OVERFIT_AR(
        "mdm_below_overfit_ar",
        "MDM below an overfit AR in likelihood",
        "MDM's likelihood beats that of an AR overfit by repetition: its final ELBO (an upper bound"
            + " on its NLL) is below AR's final NLL."),
    MDM_BELOW_EARLY_STOPPED_AR(
        "mdm_below_early_stopped_ar",
        "MDM below AR with early stopping, in likelihood",
        "MDM's likelihood beats AR's even with early stopping: its final ELBO is below AR's best"
            + " NLL."),
    DATA_POTENTIAL(
        "data_potential",
        "Data potential over 3x",
        "AR needs more than 3x the unique data to match MDM (the reference estimates over 3x)."),
    LARGER_MODEL_GAINS_MORE(
        "larger_model_gains_more",
        "A larger model gains more",
        "A larger model gains more from repetition: MDM's lead under scarce data grows."),
    HALF_LIFE_RATIO(
        "half_life_ratio",
        "Diffusion's data-reuse half-life over AR's",
        "Repeated data keeps its worth longer for MDM: the data-reuse half-life R* of Muennighoff"
            + " et al.'s data-constrained law, fitted per objective, is larger for MDM than for AR"
            + " (Prabhudesai et al. fit about 500 epochs against about 15)."),
    AR_CONTROLS(
        "ar_controls",
        "MDM beats AR's regularised control",
        "MDM's edge under repetition is not AR's regularisation alone: MDM still beats an AR"
            + " trained with input masking (or dropout), the reference study's control.");

    private final String id;
    private final String title;
    private final String statement;

    Claim(String id, String title, String statement) {
      this.id = id;
      this.title = title;
      this.statement = statement;
    }

    public String id() {
      return id;
    }

    public String title() {
      return title;
    }

    public String statement() {
      return statement;
    }
  }

  /**
   * One claim and what the runs say of it.
   *
   * @param id a stable key
   * @param claim the reference study's claim, in words
   * @param status decided by rule from the interval
   * @param text the finding, generated: the claim's name, the status, then the evidence
   * @param evidence the numbers behind it
   */
  public record Finding(
      String id, String claim, Status status, String text, Map<String, Object> evidence) {}

  static List<Finding> of(Report report) {
    List<Comparison> usable =
        report.comparisons().stream().filter(c -> c.problem() == null).toList();
    Optional<String> model = reference(usable);
    List<Comparison> plain =
        model.isEmpty()
            ? List.of()
            : usable.stream()
                .filter(c -> c.row().model().equals(model.get()) && c.row().control().isEmpty())
                .sorted(Comparator.comparingDouble(c -> c.row().epochs()))
                .toList();
    Comparison scarce = plain.isEmpty() ? null : plain.get(plain.size() - 1);
    if (scarce != null && scarce.row().epochs() <= 1) {
      scarce = null;
    }
    Comparison plentiful = plain.isEmpty() ? null : plain.get(0);
    if (plentiful != null
        && (plentiful.row().epochs() > 10
            || (scarce != null && plentiful.row().epochs() >= scarce.row().epochs()))) {
      plentiful = null;
    }
    String metric = report.metric();
    // A task whose answer its surface gives away measures its construction: no downstream claim.
    // Said after every downstream finding when the task could not be audited.
    String notAudited =
        report.taskCheck().result() == null && report.primary() != null
            ? " The "
                + report.primary()
                + " task was not audited: "
                + report.taskCheck().why()
                + "."
            : "";
    Validity validity =
        new Validity(
            report.taskCheck().failed()
                ? "the "
                    + report.primary()
                    + " task fails its blind audit ("
                    + report.taskCheck().result().failures()
                    + ")"
                : null,
            notAudited);
    List<Finding> out = new ArrayList<>();
    out.add(
        validity.apply(
            downstream(
                Claim.DOWNSTREAM_CROSSOVER,
                scarce,
                metric,
                Verdict.MDM,
                "no run repeats its data (every comparison has 1 epoch or fewer)")));
    out.add(
        validity.apply(
            downstream(
                Claim.AR_WINS_PLENTIFUL_DATA,
                plentiful,
                metric,
                Verdict.AR,
                "no comparison with 10 epochs or fewer beside the repeated one")));
    out.add(validity.apply(arRises(scarce, metric, report.margin())));
    out.add(overfit(scarce));
    out.add(earlyStopped(scarce));
    out.add(validity.apply(potential(report, usable, model, metric)));
    out.add(halfLives(report.laws()));
    out.add(validity.apply(larger(usable, metric)));
    out.add(validity.apply(control(usable, scarce, metric)));
    return out;
  }

  /**
   * Whether the task downstream claims rest on is a valid instrument.
   *
   * @param failure why it is not (its audit fails), or null
   * @param caveat said after each downstream finding when it could not be audited, or ""
   */
  private record Validity(String failure, String caveat) {
    /** A downstream finding, or "not tested" when the task it rests on is not valid. */
    Finding apply(Finding f) {
      if (failure != null) {
        return untested(claimOf(f), failure);
      }
      return f.status() == Status.NOT_TESTED || caveat.isEmpty()
          ? f
          : new Finding(f.id(), f.claim(), f.status(), f.text() + caveat, f.evidence());
    }
  }

  private static Claim claimOf(Finding f) {
    for (Claim c : Claim.values()) {
      if (c.id().equals(f.id())) {
        return c;
      }
    }
    throw new IllegalArgumentException(f.id());
  }

  /** "Title: status. Body." */
  private static Finding finding(
      Claim claim, Status status, String body, Map<String, Object> evidence) {
    String text =
        claim.title()
            + ": "
            + status.label()
            + ". "
            + Character.toUpperCase(body.charAt(0))
            + body.substring(1);
    return new Finding(claim.id(), claim.statement(), status, text, evidence);
  }

  private static Finding untested(Claim claim, String why) {
    return finding(claim, Status.NOT_TESTED, why + ".", new LinkedHashMap<>());
  }

  /**
   * The status of an interval that lies on the claimed side ({@code claimed}), on the other side
   * ({@code other}) or neither, at a seed count: below {@link Clustered#OBJECTIVE_SEEDS} a side
   * speaks of the models trained, not of the objectives.
   */
  private static Status side(boolean claimed, boolean other, boolean objectives) {
    if (claimed) {
      return objectives ? Status.REPRODUCED : Status.SEEN_IN_THESE_RUNS;
    }
    if (other) {
      return objectives ? Status.CONTRADICTED : Status.CONTRADICTED_IN_THESE_RUNS;
    }
    return Status.NOT_SIGNIFICANT;
  }

  private static boolean objectives(Comparison c) {
    return c.row().seeds() >= Clustered.OBJECTIVE_SEEDS;
  }

  /** The model the claims are read on: the most seeds at its scarcest budget, then most rows. */
  static Optional<String> reference(List<Comparison> usable) {
    Map<String, int[]> score = new LinkedHashMap<>();
    Map<String, Double> epochs = new HashMap<>();
    for (Comparison c : usable) {
      if (c.row().control().isPresent()) {
        continue;
      }
      String m = c.row().model();
      int[] s = score.computeIfAbsent(m, k -> new int[2]);
      s[1]++;
      if (c.row().epochs() >= epochs.getOrDefault(m, -1.0)) {
        epochs.put(m, c.row().epochs());
        s[0] = c.row().seeds();
      }
    }
    return score.entrySet().stream()
        .max(
            Comparator.<Map.Entry<String, int[]>>comparingInt(e -> e.getValue()[0])
                .thenComparingInt(e -> e.getValue()[1]))
        .map(Map.Entry::getKey);
  }

  /**
   * Why a comparison says nothing: its needed arm scores at chance. "MDM's acc_mi at the end of
   * training is 0.258 [0.240, 0.276] and AR's 0.257 [0.226, 0.288], neither above chance (0.250)
   * ...".
   */
  private static String unseen(Comparison c, Verdict need, String metric) {
    Comparison.Point last = c.last();
    ArmScore needs = c.score(need);
    ArmScore other = c.score(need == Verdict.MDM ? Verdict.AR : Verdict.MDM);
    String difference = "MDM - AR (" + Prose.ci(last.difference()) + ")";
    if (!other.aboveChance()) {
      return String.format(
          Locale.ROOT,
          "MDM's %s at the end of training is %s and AR's %s, neither above chance (%s): the task"
              + " does not see these models, so %s is no evidence about the claim",
          metric,
          Prose.score(last.mdmScore()),
          Prose.score(last.arScore()),
          Prose.chance(needs),
          difference);
    }
    String a = need == Verdict.MDM ? "MDM" : "AR";
    String b = need == Verdict.MDM ? "AR" : "MDM";
    return String.format(
        Locale.ROOT,
        "%s's %s at the end of training is %s, not above chance (%s), while %s's is %s: the claim"
            + " rests on %s, which the task does not see, so %s is no evidence about it",
        a,
        metric,
        Prose.score(needs),
        Prose.chance(needs),
        b,
        Prose.score(other),
        a,
        difference);
  }

  private static Finding downstream(
      Claim claim, Comparison c, String metric, Verdict claimed, String untested) {
    if (c == null) {
      return untested(claim, untested);
    }
    if (c.task() == null || c.last().difference() == null) {
      return untested(claim, "the runs were scored on no task");
    }
    Comparison.Point last = c.last();
    Estimate d = last.difference();
    String at =
        (c.row().control().isPresent() ? "against " + c.row().control().get() + ", " : "")
            + Prose.where(c, d);
    Map<String, Object> evidence = evidence(c, d);
    Verdict need = c.reads(claimed);
    ArmScore needs = c.score(need);
    if (needs != null && !needs.aboveChance()) {
      return finding(
          claim, Status.NOT_MEASURABLE, at + ", " + unseen(c, need, metric) + ".", evidence);
    }
    Status status =
        side(
            claimed == Verdict.MDM ? d.positive() : d.negative(),
            claimed == Verdict.MDM ? d.negative() : d.positive(),
            objectives(c));
    String from =
        c.crossover() == null
            ? ""
            : String.format(
                Locale.ROOT,
                "; the seed-mean difference is positive from epoch %.1f on",
                c.crossover().epoch());
    return finding(
        claim,
        status,
        String.format(
                Locale.ROOT,
                "%s, MDM - AR %s at the end of training is %s%s",
                at,
                metric,
                Prose.ci(d),
                from)
            + (status == Status.NOT_SIGNIFICANT ? Prose.detectable(d, "") : "")
            + ".",
        evidence);
  }

  private static Finding arRises(Comparison c, String metric, double margin) {
    Claim claim = Claim.AR_LOSS_RISES_SCORE_HOLDS;
    if (c == null) {
      return untested(claim, "no run repeats its data");
    }
    if (c.arBestStep() < 0) {
      return untested(claim, "the runs recorded no paired per-sequence validation losses");
    }
    if (c.arBestStep() == c.last().step()) {
      return finding(
          claim,
          Status.NOT_SHOWN,
          Prose.budget(c)
              + ", AR's validation loss is lowest at its final evaluation (on the documents the"
              + " best is chosen on): it does not rise.",
          evidence(c, null));
    }
    if (c.arRise() == null) {
      return untested(claim, "too few validation documents to choose and measure apart");
    }
    if (c.arScoreChange() == null) {
      return untested(claim, "AR's evaluations at its best and at the end scored no common items");
    }
    Estimate rise = c.arRise();
    Comparison.ScoreChange change = c.arScoreChange();
    Estimate d = change.change();
    Estimate tost = d.atLevel(0.90);
    Map<String, Object> evidence = evidence(c, rise);
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
            kind(c.last().arLossKind()),
            rise.positive() ? "rises by" : "changes by",
            Prose.ci(rise),
            c.row().epochAt(c.arBestStep()));
    if (!rise.positive()) {
      return finding(
          claim,
          Status.NOT_SIGNIFICANT,
          loss + ", not a significant rise" + Prose.detectable(rise, " nats") + ".",
          evidence);
    }
    if (!change.atBest().aboveChance()) {
      return finding(
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
      status = side(false, true, objectives(c));
      score = "its " + metric + " falls by " + Prose.ci(d);
    } else if (d.positive()) {
      status = side(true, false, objectives(c));
      score = "its " + metric + " rises by " + Prose.ci(d) + ": it does not fall";
    } else if (tost.low() > -margin && tost.high() < margin) {
      status = side(true, false, objectives(c));
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
    return finding(claim, status, loss + ", while " + score + ".", evidence);
  }

  private static Finding overfit(Comparison c) {
    Claim claim = Claim.MDM_BELOW_OVERFIT_AR;
    if (c == null || c.weak() == null) {
      return untested(
          claim, c == null ? "no run repeats its data" : "no paired validation sequences");
    }
    Status status = bound(c.weak(), objectives(c));
    return finding(
        claim,
        status,
        String.format(
                Locale.ROOT,
                "%s, MDM's final %s minus AR's final %s is %s nats per token (%d validation"
                    + " sequences from %d documents)",
                Prose.budget(c),
                kind(c.last().mdmLossKind()),
                kind(c.last().arLossKind()),
                Prose.ci(c.weak()),
                c.weak().items(),
                c.weak().clusters())
            + boundNote(status, c.weak())
            + ".",
        evidence(c, c.weak()));
  }

  private static Finding earlyStopped(Comparison c) {
    Claim claim = Claim.MDM_BELOW_EARLY_STOPPED_AR;
    if (c == null || c.strong() == null) {
      return untested(
          claim,
          c == null ? "no run repeats its data" : "too few validation documents to split in two");
    }
    Status status = bound(c.strong(), objectives(c));
    Map<String, Object> evidence = evidence(c, c.strong());
    evidence.put("ar_best_epoch", c.row().epochAt(c.arBestStep()));
    return finding(
        claim,
        status,
        String.format(
                Locale.ROOT,
                "%s, MDM's final %s minus AR's %s at its best evaluation (epoch %.1f, chosen on"
                    + " the even-numbered validation documents, measured on the %d sequences of"
                    + " the odd-numbered ones) is %s nats per token",
                Prose.budget(c),
                kind(c.last().mdmLossKind()),
                kind(c.last().arLossKind()),
                c.row().epochAt(c.arBestStep()),
                c.strong().items(),
                Prose.ci(c.strong()))
            + boundNote(status, c.strong())
            + ".",
        evidence);
  }

  /**
   * The half-life ratio: reproduced when its interval lies above 1 (every budget with {@link
   * Clustered#OBJECTIVE_SEEDS} seeds), contradicted below; not identified when either fit cannot
   * locate its R*.
   */
  private static Finding halfLives(ReuseLaws laws) {
    Claim claim = Claim.HALF_LIFE_RATIO;
    LawFit.Fit ar = laws.fit(ReuseLaws.AR);
    LawFit.Fit mdm = laws.fit(ReuseLaws.MDM);
    if (ar == null || mdm == null) {
      return untested(claim, "no run kept its validation loss per sequence to fit the law to");
    }
    long repeated =
        ar.points().stream()
            .filter(p -> p.tokens() > p.unique())
            .map(p -> p.unique())
            .distinct()
            .count();
    if (repeated == 0) {
      return untested(claim, "no run repeats its data, so no curve shows what repetition is worth");
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
      return finding(
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
    Status status = side(ratio.low() > 1, ratio.high() < 1, objectives);
    evidence.put("ratio", ratio.value());
    evidence.put("low", ratio.low());
    evidence.put("high", ratio.high());
    evidence.put("ar_half_life", ar.halfLife().value());
    evidence.put("mdm_half_life", mdm.halfLife().value());
    return finding(
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

  private static Finding potential(
      Report report, List<Comparison> usable, Optional<String> model, String metric) {
    Claim claim = Claim.DATA_POTENTIAL;
    Comparison best = null;
    Map<String, Object> p = null;
    for (Comparison c : usable) {
      Map<String, Object> q = report.potential(c);
      if (q != null && !"unknown".equals(q.get("bound"))) {
        boolean preferred = model.isPresent() && c.row().model().equals(model.get());
        if (best == null || (preferred && !best.row().model().equals(model.get()))) {
          best = c;
          p = q;
        }
      }
    }
    if (best == null) {
      return untested(
          claim,
          "no budget with a significant MDM lead and AR runs at larger unique budgets to"
              + " interpolate between");
    }
    Map<String, Object> evidence = evidence(best, best.last().difference());
    evidence.put("data_potential", p);
    String at = Prose.where(best, best.last().difference());
    if (!best.last().mdmScore().aboveChance()) {
      return finding(
          claim,
          Status.NOT_MEASURABLE,
          at + ", " + unseen(best, Verdict.MDM, metric) + ".",
          evidence);
    }
    double ratio = (double) p.get("ratio");
    String bound = (String) p.get("bound");
    Double low = (Double) p.get("low");
    Double high = (Double) p.get("high");
    // Decided by the bootstrap interval whatever the point estimate's kind; an open upper end
    // (AR may never get there within the budgets run) counts as above 3. The interval holds the
    // seeds fixed: it speaks of these models, never of the objectives.
    Status status = side(low != null && low > 3, high != null && high < 3, false);
    String point =
        switch (bound) {
          case "=" -> String.format(Locale.ROOT, "%.2f", ratio);
          case ">" -> String.format(Locale.ROOT, "more than %.2f (the largest budget run)", ratio);
          default -> String.format(Locale.ROOT, "at most %.2f (the smallest budget run)", ratio);
        };
    String amount =
        String.format(
            Locale.ROOT,
            "%s [%s, %s] times",
            point,
            low == null ? "?" : String.format(Locale.ROOT, "%.2f", low),
            high == null ? "beyond the budgets run" : String.format(Locale.ROOT, "%.2f", high));
    return finding(
        claim,
        status,
        String.format(
            Locale.ROOT,
            "%s, where MDM's lead is significant, AR reaches MDM's final %s only with %s the unique"
                + " tokens (interval over documents, seeds held fixed: these models, not the"
                + " objectives)%s.",
            at,
            metric,
            amount,
            status == Status.NOT_SIGNIFICANT ? "; the interval contains 3" : ""),
        evidence);
  }

  private static Finding larger(List<Comparison> usable, String metric) {
    Claim claim = Claim.LARGER_MODEL_GAINS_MORE;
    // Two models, plain arms, the same budget: the scarcest such budget.
    Comparison small = null;
    Comparison large = null;
    for (Comparison a : usable) {
      for (Comparison b : usable) {
        if (a.row().control().isEmpty()
            && b.row().control().isEmpty()
            && a.row().modelSize() < b.row().modelSize()
            && a.row().uniqueTokens() == b.row().uniqueTokens()
            && a.row().totalTokens() == b.row().totalTokens()
            && a.row().epochs() > 1
            && a.task() != null
            && (small == null || a.row().epochs() > small.row().epochs())) {
          small = a;
          large = b;
        }
      }
    }
    if (small == null) {
      return untested(claim, "no two model sizes were run at the same repeated budget");
    }
    if (small.last().difference() == null || large.last().difference() == null) {
      return untested(claim, "the two models' items cannot be paired");
    }
    Estimate dd;
    try {
      dd = differenceOfDifferences(large, small, metric);
    } catch (Row.Unpaired e) {
      return untested(claim, e.getMessage());
    }
    if (dd == null) {
      return untested(claim, "the two models were scored on no common items");
    }
    Map<String, Object> evidence = evidence(large, dd);
    evidence.put("smaller_model", small.row().model());
    evidence.put("larger_difference", Prose.interval(large.last().difference()));
    evidence.put("smaller_difference", Prose.interval(small.last().difference()));
    String at =
        String.format(
            Locale.ROOT,
            "at %s unique tokens (%s), MDM - AR %s is %s for %s (%s) and %s for %s (%s)",
            Counts.format(large.row().uniqueTokens()),
            Prose.epochs(large.row().epochs()),
            metric,
            Prose.ci(large.last().difference()),
            large.row().model(),
            Prose.seeds(large.row().seeds()),
            Prose.ci(small.last().difference()),
            small.row().model(),
            Prose.seeds(small.row().seeds()));
    for (Comparison c : List.of(large, small)) {
      Verdict need = c.reads(Verdict.MDM);
      ArmScore needs = c.score(need);
      if (needs != null && !needs.aboveChance()) {
        return finding(
            claim,
            Status.NOT_MEASURABLE,
            String.format(
                Locale.ROOT, "%s; for %s, %s.", at, c.row().model(), unseen(c, need, metric)),
            evidence);
      }
    }
    Status status = side(dd.positive(), dd.negative(), objectives(large) && objectives(small));
    return finding(
        claim,
        status,
        String.format(
                Locale.ROOT,
                "%s; the larger model's lead minus the smaller's is %s%s",
                at,
                Prose.ci(dd),
                dd.method().contains("borrow")
                    ? " (a model run with one seed borrows the other's seed-to-seed spread)"
                    : "")
            + (status == Status.NOT_SIGNIFICANT ? Prose.detectable(dd, "") : "")
            + ".",
        evidence);
  }

  /** (MDM − AR) of one row minus that of another, on the items both scored, seeds as groups. */
  private static Estimate differenceOfDifferences(Comparison a, Comparison b, String metric) {
    Row.Items x = a.row().items(a.task(), metric, a.last().step());
    Row.Items y = b.row().items(b.task(), metric, b.last().step());
    if (!Objects.equals(x.sha256(), y.sha256())) {
      throw new Row.Unpaired("the two models scored different task files (SHA-256)");
    }
    Map<String, Integer> inY = new HashMap<>();
    for (int i = 0; i < y.ids().size(); i++) {
      inY.put(y.ids().get(i), i);
    }
    List<Integer> xi = new ArrayList<>();
    List<Integer> yi = new ArrayList<>();
    List<String> docs = new ArrayList<>();
    for (int i = 0; i < x.ids().size(); i++) {
      Integer j = inY.get(x.ids().get(i));
      if (j != null) {
        xi.add(i);
        yi.add(j);
        docs.add(x.documents().get(i));
      }
    }
    if (xi.isEmpty()) {
      return null;
    }
    return Clustered.contrast(
        List.of(
            new Clustered.Group(1, pick(Comparison.differences(x.mdm(), x.ar()), xi)),
            new Clustered.Group(-1, pick(Comparison.differences(y.mdm(), y.ar()), yi))),
        Clustered.dense(docs),
        Comparison.LEVEL);
  }

  private static List<double[]> pick(List<double[]> seeds, List<Integer> index) {
    return seeds.stream().map(s -> index.stream().mapToDouble(i -> s[i]).toArray()).toList();
  }

  private static Finding control(List<Comparison> usable, Comparison scarce, String metric) {
    Claim claim = Claim.AR_CONTROLS;
    if (scarce == null) {
      return untested(claim, "no run repeats its data");
    }
    Comparison c =
        usable.stream()
            .filter(
                x ->
                    x.row().control().isPresent()
                        && x.row().model().equals(scarce.row().model())
                        && x.row().uniqueTokens() == scarce.row().uniqueTokens()
                        && x.row().totalTokens() == scarce.row().totalTokens())
            .min(Comparator.comparing(x -> x.row().arm()))
            .orElse(null);
    if (c == null) {
      return untested(claim, "no control arm was run at the scarce budget");
    }
    return downstream(claim, c, metric, Verdict.MDM, "");
  }

  /** A loss kind as the runs recorded it ({@code nll}, {@code elbo}), as prose writes it. */
  private static String kind(String k) {
    return k == null ? "loss" : k.toUpperCase(Locale.ROOT);
  }

  /** A claim made with an upper bound (ELBO below NLL): reproduced, or at most not reproduced. */
  private static Status bound(Estimate d, boolean objectives) {
    return d.positive() ? Status.NOT_REPRODUCED : side(d.negative(), false, objectives);
  }

  private static String boundNote(Status s, Estimate d) {
    return switch (s) {
      case NOT_REPRODUCED ->
          ": above 0, which an upper bound on MDM's NLL cannot turn into a contradiction";
      case NOT_SIGNIFICANT -> Prose.detectable(d, " nats");
      default -> "";
    };
  }

  private static Map<String, Object> evidence(Comparison c, Estimate d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", c.row().model());
    m.put("arm", c.row().arm());
    m.put("unique_tokens", c.row().uniqueTokens());
    m.put("total_tokens", c.row().totalTokens());
    m.put("epochs", c.row().epochs());
    m.put("seeds", c.row().seeds());
    m.put("metric", c.metric());
    m.put("interval", Prose.interval(d));
    m.put("detectable", d == null ? null : Prose.finite(d.detectable()));
    if (c.task() != null && c.last().arScore() != null) {
      m.put("chance", Prose.finite(c.last().arScore().chance()));
      m.put("ar_score", Prose.score(c.last().arScore(), false));
      m.put("mdm_score", Prose.score(c.last().mdmScore(), false));
    }
    return m;
  }
}
