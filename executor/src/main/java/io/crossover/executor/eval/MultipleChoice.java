package io.crossover.executor.eval;

import io.crossover.data.tokenize.Tokenizer;
import io.crossover.executor.allreduce.Collective;
import io.crossover.executor.score.Likelihood;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/** Zero-shot multiple choice by likelihood, as lm-evaluation-harness scores it. */
public final class MultipleChoice {
  private MultipleChoice() {}

  /** Scores every item in this process; {@code seed} fixes the MDM noise (item i uses seed + i). */
  public static McResult evaluate(
      List<McItem> items, Tokenizer tokenizer, Likelihood scorer, long seed) {
    return evaluate(items, tokenizer, scorer, seed, Collective.SINGLE);
  }

  /** Per item: acc, acc_norm, acc_mi, NLL right, mean NLL wrong, delta per byte, log loss. */
  private static final int FIELDS = 7;

  /**
   * Scores the items shared over the ranks: rank r scores items r, r + W, ...; one sum over the
   * ranks then gives every rank every item's outcome, so the result is the same for any W.
   */
  public static McResult evaluate(
      List<McItem> items, Tokenizer tokenizer, Likelihood scorer, long seed, Collective ranks) {
    return evaluate(items, tokenizer, scorer, seed, ranks, done -> {});
  }

  /** As above; {@code progress} hears how many of this rank's items are done after each one. */
  public static McResult evaluate(
      List<McItem> items,
      Tokenizer tokenizer,
      Likelihood scorer,
      long seed,
      Collective ranks,
      IntConsumer progress) {
    int n = items.size();
    int choices = 0;
    for (McItem item : items) {
      choices = Math.max(choices, item.choices().size());
    }
    int width = FIELDS + choices;
    float[] outcomes = new float[n * width];
    int done = 0;
    for (int i = 0; i < n; i++) {
      if (ranks.owns(i)) {
        score(items.get(i), tokenizer, scorer, seed + i, outcomes, i * width);
        progress.accept(++done);
      }
    }
    ranks.sum(outcomes);
    double[] total = new double[FIELDS];
    double se = 0;
    int seCount = 0;
    StringBuilder[] right = {new StringBuilder(n), new StringBuilder(n), new StringBuilder(n)};
    float[] deltaPerByte = new float[n];
    float[] logLoss = new float[n];
    float[][] choiceSe = new float[n][];
    for (int i = 0; i < n; i++) {
      int at = i * width;
      for (int f = 0; f < FIELDS; f++) {
        total[f] += outcomes[at + f];
      }
      for (int m = 0; m < 3; m++) {
        right[m].append(outcomes[at + m] == 1 ? '1' : '0');
      }
      deltaPerByte[i] = outcomes[at + 5];
      logLoss[i] = outcomes[at + 6];
      choiceSe[i] = new float[items.get(i).choices().size()];
      for (int c = 0; c < choiceSe[i].length; c++) {
        choiceSe[i][c] = outcomes[at + FIELDS + c];
        se += choiceSe[i][c];
        seCount++;
      }
    }
    return new McResult(
        total[0] / n,
        total[1] / n,
        total[2] / n,
        total[3] / n,
        total[4] / n,
        (total[3] - total[4]) / n,
        total[5] / n,
        total[6] / n,
        seCount == 0 ? 0 : se / seCount,
        n,
        new McResult.ItemScores(
            right[0].toString(),
            right[1].toString(),
            right[2].toString(),
            deltaPerByte,
            logLoss,
            choiceSe,
            items.stream().map(McItem::id).toList(),
            items.stream().map(McItem::cluster).toList()),
        null);
  }

  private static void score(
      McItem item, Tokenizer tokenizer, Likelihood scorer, long seed, float[] out, int at) {
    int[] context = tokenizer.encode(item.context());
    List<int[]> choices = new ArrayList<>();
    for (String choice : item.choices()) {
      choices.add(tokenizer.encode(choice));
    }
    Likelihood.Scores scores = scorer.score(context, choices, seed);
    double[] nll = scores.nll();
    double[] unconditional = scorer.nll(new int[] {tokenizer.specials().eod()}, choices, seed);
    int best = 0;
    int bestNorm = 0;
    int bestMi = 0;
    double wrong = 0;
    double wrongPerByte = 0;
    double logSumExp = logSumExp(nll);
    for (int c = 0; c < nll.length; c++) {
      if (nll[c] < nll[best]) {
        best = c;
      }
      if (nll[c] / characters(item.choices().get(c))
          < nll[bestNorm] / characters(item.choices().get(bestNorm))) {
        bestNorm = c;
      }
      if (nll[c] - unconditional[c] < nll[bestMi] - unconditional[bestMi]) {
        bestMi = c;
      }
      if (c != item.answer()) {
        wrong += nll[c] / (nll.length - 1);
        wrongPerByte += nll[c] / bytes(item.choices().get(c)) / (nll.length - 1);
      }
      out[at + FIELDS + c] = (float) scores.se()[c];
    }
    int a = item.answer();
    out[at] = best == a ? 1 : 0;
    out[at + 1] = bestNorm == a ? 1 : 0;
    out[at + 2] = bestMi == a ? 1 : 0;
    out[at + 3] = (float) nll[a];
    out[at + 4] = (float) wrong;
    out[at + 5] = (float) (nll[a] / bytes(item.choices().get(a)) - wrongPerByte);
    out[at + 6] = (float) (nll[a] + logSumExp);
  }

  /** log sum exp(-nll): the normaliser of a softmax over the choices' log-likelihoods. */
  private static double logSumExp(double[] nll) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : nll) {
      max = Math.max(max, -v);
    }
    double sum = 0;
    for (double v : nll) {
      sum += Math.exp(-v - max);
    }
    return max + Math.log(sum);
  }

  /**
   * lm-evaluation-harness's acc_norm length: the choice's characters (code points) without the
   * delimiter (one leading space) that joins it to the context.
   */
  static int characters(String choice) {
    String text = choice.startsWith(" ") ? choice.substring(1) : choice;
    return Math.max(1, text.codePointCount(0, text.length()));
  }

  /** UTF-8 bytes of what is scored: the choice with its delimiter. */
  static int bytes(String choice) {
    return Math.max(1, choice.getBytes(StandardCharsets.UTF_8).length);
  }
}
