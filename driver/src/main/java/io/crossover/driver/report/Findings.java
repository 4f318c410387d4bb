package io.crossover.driver.report;

import io.crossover.data.config.Counts;
import io.crossover.data.stats.Clustered;
import io.crossover.data.stats.Estimate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The reference study's claims (SCIENCE.md), each given a status by rule from the report's
 * intervals and a sentence generated from its evidence — nobody writes these by hand, and the
 * README quotes them verbatim. A claim is <i>reproduced</i> when its interval lies on the claimed
 * side of 0, <i>contradicted</i> when it lies on the other side, <i>not significant</i> when it
 * contains 0, and <i>not tested</i> when the runs cannot speak to it (the sentence says why).
 * Claims on likelihood can only be reproduced: an ELBO bounds MDM's NLL from above, so an ELBO
 * above AR's NLL contradicts nothing.
 */
public final class Findings {
  private Findings() {}

  /** How a claim fared. */
  public enum Status {
    REPRODUCED,
    NOT_SIGNIFICANT,
    /** A bound's claim whose interval lies on the other side: not shown, yet not contradicted. */
    NOT_REPRODUCED,
    CONTRADICTED,
    NOT_TESTED;

    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
  }

  /**
   * One claim and what the runs say of it.
   *
   * @param id a stable key
   * @param claim the reference study's claim, in words
   * @param status decided by rule from the interval
   * @param text the finding, generated: the status, then the evidence
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
    Validity invalid =
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
        valid(
            invalid,
            downstream(
                "downstream_crossover",
                "Under repetition (scarce unique data) MDM overtakes AR downstream.",
                scarce,
                metric,
                1,
                "no run repeats its data (every comparison has 1 epoch or fewer)")));
    out.add(
        valid(
            invalid,
            downstream(
                "ar_wins_plentiful_data",
                "With plentiful unique data AR beats MDM downstream.",
                plentiful,
                metric,
                -1,
                "no comparison with 10 epochs or fewer beside the repeated one")));
    out.add(valid(invalid, arRises(scarce, metric)));
    out.add(weak(scarce));
    out.add(strong(scarce));
    out.add(valid(invalid, potential(report, usable, model, metric)));
    out.add(valid(invalid, larger(usable, metric)));
    out.add(valid(invalid, control(usable, scarce, metric)));
    return out.stream().map(Findings::titled).toList();
  }

  /** Each claim's name, as the sentence starts. */
  static final Map<String, String> TITLES =
      Map.of(
          "downstream_crossover", "Downstream crossover under repetition",
          "ar_wins_plentiful_data", "AR wins with plentiful unique data",
          "ar_loss_rises_score_holds", "AR's validation loss rises while its score holds",
          "mdm_below_overfit_ar", "MDM below an overfit AR in likelihood",
          "mdm_below_early_stopped_ar", "MDM below AR with early stopping, in likelihood",
          "data_potential", "Data potential over 3x",
          "larger_model_gains_more", "A larger model gains more",
          "ar_controls", "MDM beats AR's regularised control");

  /** "Title: status. Evidence." from "Status: evidence." */
  private static Finding titled(Finding f) {
    String prefix = capital(f.status()) + ": ";
    String rest = f.text().startsWith(prefix) ? f.text().substring(prefix.length()) : f.text();
    String text =
        TITLES.get(f.id())
            + ": "
            + f.status().label()
            + ". "
            + Character.toUpperCase(rest.charAt(0))
            + rest.substring(1);
    return new Finding(f.id(), f.claim(), f.status(), text, f.evidence());
  }

  /**
   * Whether the task downstream claims rest on is a valid instrument.
   *
   * @param failure why it is not (its audit fails), or null
   * @param caveat said after each downstream finding when it could not be audited, or ""
   */
  private record Validity(String failure, String caveat) {}

  /** A downstream finding, or "not tested" when the task it rests on is not a valid instrument. */
  private static Finding valid(Validity v, Finding f) {
    if (v.failure() != null) {
      return untested(f.id(), f.claim(), v.failure());
    }
    return f.status() == Status.NOT_TESTED || v.caveat().isEmpty()
        ? f
        : new Finding(f.id(), f.claim(), f.status(), f.text() + v.caveat(), f.evidence());
  }

  /** The model the claims are read on: the most seeds at its scarcest budget, then most rows. */
  private static Optional<String> reference(List<Comparison> usable) {
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

  private static Finding downstream(
      String id, String claim, Comparison c, String metric, int sign, String untested) {
    if (c == null || c.task() == null || c.last().difference() == null) {
      return untested(id, claim, c == null ? untested : "the runs were scored on no task");
    }
    Estimate d = c.last().difference();
    Status status = decide(d, sign);
    String from =
        c.crossover() == null
            ? ""
            : String.format(
                Locale.ROOT,
                "; the seed-mean difference is positive from epoch %.1f on",
                c.crossover().epoch());
    return new Finding(
        id,
        claim,
        status,
        String.format(
            Locale.ROOT,
            "%s: %s, MDM - AR %s at the end of training is %s%s.",
            capital(status),
            where(c, d),
            metric,
            ci(d),
            from),
        evidence(c, d));
  }

  private static Finding arRises(Comparison c, String metric) {
    String id = "ar_loss_rises_score_holds";
    String claim =
        "Under repetition AR's validation loss rises while its downstream score does not fall.";
    if (c == null) {
      return untested(id, claim, "no run repeats its data");
    }
    if (c.arBestStep() < 0) {
      return untested(id, claim, "the runs recorded no paired per-sequence validation losses");
    }
    if (c.arBestStep() == c.last().step()) {
      return new Finding(
          id,
          claim,
          Status.NOT_SIGNIFICANT,
          String.format(
              Locale.ROOT,
              "Not significant: %s, AR's validation loss is lowest at its final evaluation (on"
                  + " the documents the best is chosen on): it does not rise.",
              budget(c)),
          evidence(c, null));
    }
    if (c.arRise() == null) {
      return untested(id, claim, "too few validation documents to choose and measure apart");
    }
    if (c.arScoreChange() == null) {
      return untested(
          id, claim, "AR's evaluations at its best and at the end scored no common items");
    }
    Estimate rise = c.arRise();
    Estimate change = c.arScoreChange();
    Status status =
        !rise.positive()
            ? Status.NOT_SIGNIFICANT
            : change.negative() ? Status.CONTRADICTED : Status.REPRODUCED;
    Map<String, Object> ev = evidence(c, rise);
    ev.put("ar_best_epoch", c.row().epochAt(c.arBestStep()));
    ev.put("score_change", change == null ? null : interval(change));
    return new Finding(
        id,
        claim,
        status,
        String.format(
            Locale.ROOT,
            "%s: %s, AR's validation %s rises by %s nats per token from its best evaluation"
                + " (epoch %.1f, chosen on half of the validation documents, measured on the other"
                + " half) to the end of training, while its %s changes by %s.",
            capital(status),
            budget(c),
            kind(c.last().arLossKind()),
            ci(rise),
            c.row().epochAt(c.arBestStep()),
            metric,
            ci(change)),
        ev);
  }

  private static Finding weak(Comparison c) {
    String id = "mdm_below_overfit_ar";
    String claim =
        "MDM's likelihood beats that of an AR overfit by repetition: its final ELBO (an upper bound"
            + " on its NLL) is below AR's final NLL.";
    if (c == null || c.weak() == null) {
      return untested(
          id, claim, c == null ? "no run repeats its data" : "no paired validation sequences");
    }
    Status status = bound(c.weak());
    return new Finding(
        id,
        claim,
        status,
        String.format(
            Locale.ROOT,
            "%s: %s, MDM's final %s minus AR's final %s is %s nats per token (%d validation"
                + " sequences from %d documents)%s.",
            capital(status),
            budget(c),
            kind(c.last().mdmLossKind()),
            kind(c.last().arLossKind()),
            ci(c.weak()),
            c.weak().items(),
            c.weak().clusters(),
            boundNote(status)),
        evidence(c, c.weak()));
  }

  private static Finding strong(Comparison c) {
    String id = "mdm_below_early_stopped_ar";
    String claim =
        "MDM's likelihood beats AR's even with early stopping: its final ELBO is below AR's best"
            + " NLL.";
    if (c == null || c.strong() == null) {
      return untested(
          id,
          claim,
          c == null ? "no run repeats its data" : "too few validation documents to split in two");
    }
    Status status = bound(c.strong());
    Map<String, Object> ev = evidence(c, c.strong());
    ev.put("ar_best_epoch", c.row().epochAt(c.arBestStep()));
    return new Finding(
        id,
        claim,
        status,
        String.format(
            Locale.ROOT,
            "%s: %s, MDM's final %s minus AR's %s at its best evaluation (epoch %.1f, chosen on the"
                + " even-numbered validation documents, measured on the %d sequences of the"
                + " odd-numbered ones) is %s nats per token%s.",
            capital(status),
            budget(c),
            kind(c.last().mdmLossKind()),
            kind(c.last().arLossKind()),
            c.row().epochAt(c.arBestStep()),
            c.strong().items(),
            ci(c.strong()),
            boundNote(status)),
        ev);
  }

  private static Finding potential(
      Report report, List<Comparison> usable, Optional<String> model, String metric) {
    String id = "data_potential";
    String claim =
        "AR needs more than 3x the unique data to match MDM (the reference estimates over 3x).";
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
          id,
          claim,
          "no budget with a significant MDM lead and AR runs at larger unique budgets to"
              + " interpolate between");
    }
    double ratio = (double) p.get("ratio");
    String bound = (String) p.get("bound");
    Double low = (Double) p.get("low");
    Double high = (Double) p.get("high");
    // Decided by the bootstrap interval whatever the point estimate's kind; an open upper end
    // (AR may never get there within the budgets run) counts as above 3.
    Status status =
        low != null && low > 3
            ? Status.REPRODUCED
            : high != null && high < 3 ? Status.CONTRADICTED : Status.NOT_SIGNIFICANT;
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
    Map<String, Object> ev = evidence(best, best.last().difference());
    ev.put("data_potential", p);
    return new Finding(
        id,
        claim,
        status,
        String.format(
            Locale.ROOT,
            "%s: %s, where MDM's lead is significant, AR reaches MDM's final %s only with %s the"
                + " unique tokens (interval over documents, seeds held fixed).",
            capital(status),
            budget(best),
            metric,
            amount),
        ev);
  }

  private static Finding larger(List<Comparison> usable, String metric) {
    String id = "larger_model_gains_more";
    String claim = "A larger model gains more from repetition: MDM's lead under scarce data grows.";
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
      return untested(id, claim, "no two model sizes were run at the same repeated budget");
    }
    if (small.last().difference() == null || large.last().difference() == null) {
      return untested(id, claim, "the two models' items cannot be paired");
    }
    Estimate dd;
    try {
      dd = differenceOfDifferences(large, small, metric);
    } catch (Row.Unpaired e) {
      return untested(id, claim, e.getMessage());
    }
    if (dd == null) {
      return untested(id, claim, "the two models were scored on no common items");
    }
    Status status = decide(dd, 1);
    Map<String, Object> ev = evidence(large, dd);
    ev.put("smaller_model", small.row().model());
    ev.put("larger_difference", interval(large.last().difference()));
    ev.put("smaller_difference", interval(small.last().difference()));
    return new Finding(
        id,
        claim,
        status,
        String.format(
            Locale.ROOT,
            "%s: at %s unique tokens (%s %s), MDM - AR %s is %s for %s (%d seed%s) and %s for"
                + " %s (%d seed%s); the larger model's lead minus the smaller's is %s%s.",
            capital(status),
            Counts.format(large.row().uniqueTokens()),
            epochs(large.row().epochs()),
            epochWord(large.row().epochs()),
            metric,
            ci(large.last().difference()),
            large.row().model(),
            large.row().seeds(),
            large.row().seeds() == 1 ? "" : "s",
            ci(small.last().difference()),
            small.row().model(),
            small.row().seeds(),
            small.row().seeds() == 1 ? "" : "s",
            ci(dd),
            dd.method().contains("borrow")
                ? " (a model run with one seed borrows the other's seed-to-seed spread)"
                : ""),
        ev);
  }

  /** (MDM − AR) of one row minus that of another, on the items both scored, seeds as groups. */
  private static Estimate differenceOfDifferences(Comparison a, Comparison b, String metric) {
    Row.Items x = a.row().items(a.task(), metric, a.last().step());
    Row.Items y = b.row().items(b.task(), metric, b.last().step());
    if (!java.util.Objects.equals(x.sha256(), y.sha256())) {
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
    String id = "ar_controls";
    String claim =
        "MDM's edge under repetition is not AR's regularisation alone: MDM still beats an AR"
            + " trained with input masking (or dropout), the reference study's control.";
    if (scarce == null) {
      return untested(id, claim, "no run repeats its data");
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
      return untested(id, claim, "no control arm was run at the scarce budget");
    }
    Finding f = downstream(id, claim, c, metric, 1, "");
    String text = f.text().replaceFirst(": at ", ": against " + c.row().control().get() + ", at ");
    return new Finding(id, claim, f.status(), text, f.evidence());
  }

  /** A loss kind as the runs recorded it ({@code nll}, {@code elbo}), as prose writes it. */
  private static String kind(String k) {
    return k == null ? "loss" : k.toUpperCase(Locale.ROOT);
  }

  /** A claim made with an upper bound (ELBO below NLL): reproduced, or at most not reproduced. */
  private static Status bound(Estimate d) {
    return d.negative()
        ? Status.REPRODUCED
        : d.positive() ? Status.NOT_REPRODUCED : Status.NOT_SIGNIFICANT;
  }

  private static String boundNote(Status s) {
    return s == Status.NOT_REPRODUCED
        ? ": above 0, which an upper bound on MDM's NLL cannot turn into a contradiction"
        : "";
  }

  private static Status decide(Estimate d, int sign) {
    if (sign > 0 ? d.positive() : d.negative()) {
      return Status.REPRODUCED;
    }
    if (sign > 0 ? d.negative() : d.positive()) {
      return Status.CONTRADICTED;
    }
    return Status.NOT_SIGNIFICANT;
  }

  private static Finding untested(String id, String claim, String why) {
    return new Finding(
        id, claim, Status.NOT_TESTED, "Not tested: " + why + ".", new LinkedHashMap<>());
  }

  private static String capital(Status s) {
    String l = s.label();
    return Character.toUpperCase(l.charAt(0)) + l.substring(1);
  }

  /** "at 16Ki unique tokens (64 epochs; mini, 3 seeds, 1,000 items from 25 documents)". */
  private static String where(Comparison c, Estimate d) {
    return String.format(
        Locale.ROOT,
        "at %s unique tokens (%s %s; %s, %d seed%s, %,d items from %d documents)",
        Counts.format(c.row().uniqueTokens()),
        epochs(c.row().epochs()),
        epochWord(c.row().epochs()),
        c.row().model(),
        c.row().seeds(),
        c.row().seeds() == 1 ? "" : "s",
        d.items(),
        d.clusters());
  }

  /** "at 16Ki unique tokens (64 epochs; mini, 3 seeds)". */
  private static String budget(Comparison c) {
    return String.format(
        Locale.ROOT,
        "at %s unique tokens (%s %s; %s, %d seed%s)",
        Counts.format(c.row().uniqueTokens()),
        epochs(c.row().epochs()),
        epochWord(c.row().epochs()),
        c.row().model(),
        c.row().seeds(),
        c.row().seeds() == 1 ? "" : "s");
  }

  /** "64 epochs", "1 epoch", "2.50 epochs". */
  private static String epochs(double e) {
    return e == Math.rint(e)
        ? String.format(Locale.ROOT, "%.0f", e)
        : String.format(Locale.ROOT, "%.2f", e);
  }

  private static String epochWord(double e) {
    return e == 1 ? "epoch" : "epochs";
  }

  static String ci(Estimate d) {
    return String.format(Locale.ROOT, "%+.3f [%+.3f, %+.3f]", d.value(), d.low(), d.high());
  }

  static Map<String, Object> interval(Estimate d) {
    if (d == null) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("value", d.value());
    m.put("low", finite(d.low()));
    m.put("high", finite(d.high()));
    m.put("seeds", d.seeds());
    m.put("items", d.items());
    m.put("documents", d.clusters());
    return m;
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
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
    m.put("interval", interval(d));
    return m;
  }
}
