package io.crossover.executor.eval;

import io.crossover.data.tokenize.Tokenizer;
import io.crossover.executor.allreduce.Collective;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Zero-shot multiple choice by likelihood, as lm-evaluation-harness scores it. */
public final class MultipleChoice {
  private MultipleChoice() {}

  /** Scores every item in this process; {@code seed} fixes the MDM noise (item i uses seed + i). */
  public static McResult evaluate(
      List<McItem> items, Tokenizer tokenizer, Likelihood scorer, long seed) {
    return evaluate(items, tokenizer, scorer, seed, Collective.SINGLE);
  }

  /**
   * Scores the items shared over the ranks: rank r scores items r, r + W, ...; one sum over the
   * ranks then gives every rank every item's outcome, so the result is the same for any W.
   */
  public static McResult evaluate(
      List<McItem> items, Tokenizer tokenizer, Likelihood scorer, long seed, Collective ranks) {
    int n = items.size();
    float[] outcomes = new float[n * FIELDS];
    for (int i = 0; i < n; i++) {
      if (ranks.owns(i)) {
        score(items.get(i), tokenizer, scorer, seed + i, outcomes, i * FIELDS);
      }
    }
    ranks.sum(outcomes);
    double[] total = new double[FIELDS];
    for (int i = 0; i < n; i++) {
      for (int f = 0; f < FIELDS; f++) {
        total[f] += outcomes[i * FIELDS + f];
      }
    }
    return new McResult(
        total[0] / n,
        total[1] / n,
        total[2] / n,
        total[3] / n,
        total[4] / n,
        (total[3] - total[4]) / n,
        n);
  }

  /** Per item: right by NLL, by NLL per byte, by mutual information; NLL right; mean NLL wrong. */
  private static final int FIELDS = 5;

  private static void score(
      McItem item, Tokenizer tokenizer, Likelihood scorer, long seed, float[] out, int at) {
    int[] context = tokenizer.encode(item.context());
    List<int[]> choices = new ArrayList<>();
    for (String choice : item.choices()) {
      choices.add(tokenizer.encode(choice));
    }
    double[] nll = scorer.nll(context, choices, seed);
    double[] unconditional = scorer.nll(new int[] {tokenizer.specials().eod()}, choices, seed);
    int best = 0;
    int bestNorm = 0;
    int bestMi = 0;
    double wrong = 0;
    for (int c = 0; c < nll.length; c++) {
      if (nll[c] < nll[best]) {
        best = c;
      }
      if (perByte(nll[c], item.choices().get(c))
          < perByte(nll[bestNorm], item.choices().get(bestNorm))) {
        bestNorm = c;
      }
      if (nll[c] - unconditional[c] < nll[bestMi] - unconditional[bestMi]) {
        bestMi = c;
      }
      if (c != item.answer()) {
        wrong += nll[c] / (nll.length - 1);
      }
    }
    out[at] = best == item.answer() ? 1 : 0;
    out[at + 1] = bestNorm == item.answer() ? 1 : 0;
    out[at + 2] = bestMi == item.answer() ? 1 : 0;
    out[at + 3] = (float) nll[item.answer()];
    out[at + 4] = (float) wrong;
  }

  private static double perByte(double nll, String choice) {
    return nll / Math.max(1, choice.getBytes(StandardCharsets.UTF_8).length);
  }
}
