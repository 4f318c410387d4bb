package io.crossover.driver.report;

import io.crossover.data.config.Counts;
import io.crossover.data.stats.Clustered;
import io.crossover.data.stats.Estimate;
import io.crossover.driver.report.Comparison.Verdict;
import io.crossover.driver.report.Findings.Finding;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The claims read on the downstream task's scores: the crossover under repetition, AR ahead with
 * plentiful data, the data potential, a larger model's gain and AR's regularised control. Each is
 * decided by its {@link Claim.Rule}; see {@link Findings} for the statuses.
 */
final class DownstreamFindings {
  private DownstreamFindings() {}

  static Finding downstream(Claim claim, Comparison c, String metric, String untested) {
    if (c == null) {
      return Findings.untested(claim, untested);
    }
    if (c.task() == null || c.last().difference() == null) {
      return Findings.untested(claim, "the runs were scored on no task");
    }
    Comparison.Point last = c.last();
    Estimate d = last.difference();
    String at =
        (c.row().control().isPresent() ? "against " + c.row().control().get() + ", " : "")
            + Prose.where(c, d);
    Map<String, Object> evidence = Findings.evidence(c, d);
    Verdict claimed = claim.favours();
    Verdict need = c.reads(claimed);
    ArmScore needs = c.score(need);
    if (needs != null && !needs.aboveChance()) {
      return Findings.finding(
          claim,
          Status.NOT_MEASURABLE,
          at + ", " + Findings.unseen(c, need, metric) + ".",
          evidence);
    }
    Status status =
        Findings.side(
            claimed == Verdict.MDM ? d.positive() : d.negative(),
            claimed == Verdict.MDM ? d.negative() : d.positive(),
            Findings.objectives(c));
    String from =
        c.crossover() == null
            ? ""
            : String.format(
                Locale.ROOT,
                "; the seed-mean difference is positive from epoch %.1f on",
                c.crossover().epoch());
    return Findings.finding(
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

  static Finding potential(
      Claim claim, Report report, List<Comparison> usable, Optional<String> model, String metric) {
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
      return Findings.untested(
          claim,
          "no budget with a significant MDM lead and AR runs at larger unique budgets to"
              + " interpolate between");
    }
    Map<String, Object> evidence = Findings.evidence(best, best.last().difference());
    evidence.put("data_potential", p);
    String at = Prose.where(best, best.last().difference());
    if (!best.last().mdmScore().aboveChance()) {
      return Findings.finding(
          claim,
          Status.NOT_MEASURABLE,
          at + ", " + Findings.unseen(best, claim.favours(), metric) + ".",
          evidence);
    }
    double ratio = (double) p.get("ratio");
    String bound = (String) p.get("bound");
    Double low = (Double) p.get("low");
    Double high = (Double) p.get("high");
    // Decided by the bootstrap interval whatever the point estimate's kind; an open upper end
    // (AR may never get there within the budgets run) counts as above 3. The interval holds the
    // seeds fixed: it speaks of these models, never of the objectives.
    Status status = Findings.side(low != null && low > 3, high != null && high < 3, false);
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
    return Findings.finding(
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

  static Finding larger(Claim claim, List<Comparison> usable, String metric) {
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
      return Findings.untested(claim, "no two model sizes were run at the same repeated budget");
    }
    if (small.last().difference() == null || large.last().difference() == null) {
      return Findings.untested(claim, "the two models' items cannot be paired");
    }
    Estimate dd;
    try {
      dd = differenceOfDifferences(large, small, metric);
    } catch (Row.Unpaired e) {
      return Findings.untested(claim, e.getMessage());
    }
    if (dd == null) {
      return Findings.untested(claim, "the two models were scored on no common items");
    }
    Map<String, Object> evidence = Findings.evidence(large, dd);
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
      Verdict need = c.reads(claim.favours());
      ArmScore needs = c.score(need);
      if (needs != null && !needs.aboveChance()) {
        return Findings.finding(
            claim,
            Status.NOT_MEASURABLE,
            String.format(
                Locale.ROOT,
                "%s; for %s, %s.",
                at,
                c.row().model(),
                Findings.unseen(c, need, metric)),
            evidence);
      }
    }
    Status status =
        Findings.side(
            dd.positive(), dd.negative(), Findings.objectives(large) && Findings.objectives(small));
    return Findings.finding(
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

  static Finding control(Claim claim, List<Comparison> usable, Comparison scarce, String metric) {
    if (scarce == null) {
      return Findings.untested(claim, "no run repeats its data");
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
      return Findings.untested(claim, "no control arm was run at the scarce budget");
    }
    return downstream(claim, c, metric, "");
  }
}
