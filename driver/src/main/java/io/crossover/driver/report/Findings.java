package io.crossover.driver.report;

import io.crossover.data.stats.Clustered;
import io.crossover.data.stats.Estimate;
import io.crossover.driver.report.Comparison.Verdict;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
    for (Claim claim : Claim.values()) {
      Finding f =
          switch (claim) {
            case DOWNSTREAM_CROSSOVER ->
                DownstreamFindings.downstream(
                    claim,
                    scarce,
                    metric,
                    "no run repeats its data (every comparison has 1 epoch or fewer)");
            case AR_WINS_PLENTIFUL_DATA ->
                DownstreamFindings.downstream(
                    claim,
                    plentiful,
                    metric,
                    "no comparison with 10 epochs or fewer beside the repeated one");
            case AR_LOSS_RISES_SCORE_HOLDS ->
                LikelihoodFindings.arRises(claim, scarce, metric, report.margin());
            case MDM_BELOW_OVERFIT_AR -> LikelihoodFindings.overfit(claim, scarce);
            case MDM_BELOW_EARLY_STOPPED_AR -> LikelihoodFindings.earlyStopped(claim, scarce);
            case DATA_POTENTIAL ->
                DownstreamFindings.potential(claim, report, usable, model, metric);
            case HALF_LIFE_RATIO -> LikelihoodFindings.halfLives(claim, report.laws());
            case LARGER_MODEL_GAINS_MORE -> DownstreamFindings.larger(claim, usable, metric);
            case AR_CONTROLS -> DownstreamFindings.control(claim, usable, scarce, metric);
          };
      out.add(claim.rule().restsOnTask() ? validity.apply(claim, f) : f);
    }
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
    Finding apply(Claim claim, Finding f) {
      if (failure != null) {
        return untested(claim, failure);
      }
      return f.status() == Status.NOT_TESTED || caveat.isEmpty()
          ? f
          : new Finding(f.id(), f.claim(), f.status(), f.text() + caveat, f.evidence());
    }
  }

  /** "Title: status. Body." */
  static Finding finding(Claim claim, Status status, String body, Map<String, Object> evidence) {
    String text =
        claim.title()
            + ": "
            + status.label()
            + ". "
            + Character.toUpperCase(body.charAt(0))
            + body.substring(1);
    return new Finding(claim.id(), claim.statement(), status, text, evidence);
  }

  static Finding untested(Claim claim, String why) {
    return finding(claim, Status.NOT_TESTED, why + ".", new LinkedHashMap<>());
  }

  /**
   * The status of an interval that lies on the claimed side ({@code claimed}), on the other side
   * ({@code other}) or neither, at a seed count: below {@link Clustered#OBJECTIVE_SEEDS} a side
   * speaks of the models trained, not of the objectives.
   */
  static Status side(boolean claimed, boolean other, boolean objectives) {
    if (claimed) {
      return objectives ? Status.REPRODUCED : Status.SEEN_IN_THESE_RUNS;
    }
    if (other) {
      return objectives ? Status.CONTRADICTED : Status.CONTRADICTED_IN_THESE_RUNS;
    }
    return Status.NOT_SIGNIFICANT;
  }

  static boolean objectives(Comparison c) {
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
  static String unseen(Comparison c, Verdict need, String metric) {
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

  /** A loss kind as the runs recorded it ({@code nll}, {@code elbo}), as prose writes it. */
  static String kind(String k) {
    return k == null ? "loss" : k.toUpperCase(Locale.ROOT);
  }

  static Map<String, Object> evidence(Comparison c, Estimate d) {
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
