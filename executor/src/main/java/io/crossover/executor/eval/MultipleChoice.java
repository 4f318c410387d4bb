package io.crossover.executor.eval;

import io.crossover.data.tokenize.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Zero-shot multiple choice by likelihood, as lm-evaluation-harness scores it. */
public final class MultipleChoice {
  private MultipleChoice() {}

  /** Scores every item; {@code seed} fixes the MDM noise (item i uses seed + i). */
  public static McResult evaluate(
      List<McItem> items, Tokenizer tokenizer, Likelihood scorer, long seed) {
    int right = 0;
    int rightNorm = 0;
    int rightMi = 0;
    double nllCorrect = 0;
    double nllWrong = 0;
    for (int i = 0; i < items.size(); i++) {
      McItem item = items.get(i);
      int[] context = tokenizer.encode(item.context());
      List<int[]> choices = new ArrayList<>();
      for (String choice : item.choices()) {
        choices.add(tokenizer.encode(choice));
      }
      double[] nll = scorer.nll(context, choices, seed + i);
      double[] unconditional =
          scorer.nll(new int[] {tokenizer.specials().eod()}, choices, seed + i);
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
      right += best == item.answer() ? 1 : 0;
      rightNorm += bestNorm == item.answer() ? 1 : 0;
      rightMi += bestMi == item.answer() ? 1 : 0;
      nllCorrect += nll[item.answer()];
      nllWrong += wrong;
    }
    int n = items.size();
    return new McResult(
        (double) right / n,
        (double) rightNorm / n,
        (double) rightMi / n,
        nllCorrect / n,
        nllWrong / n,
        (nllCorrect - nllWrong) / n,
        n);
  }

  private static double perByte(double nll, String choice) {
    return nll / Math.max(1, choice.getBytes(StandardCharsets.UTF_8).length);
  }
}
