package io.crossover.executor.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crossover.data.tokenize.ByteTokenizer;
import io.crossover.executor.score.Likelihood;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The metric arithmetic, on likelihoods given as a table (the model's part is tested elsewhere),
 * against values computed by hand the way lm-evaluation-harness computes them.
 */
class MultipleChoiceTest {
  static Likelihood table(double[] conditional, double[] unconditional) {
    int eod = ByteTokenizer.EOD;
    return (context, choices, seed) -> {
      boolean alone = context.length == 1 && context[0] == eod;
      return new Likelihood.Scores(
          (alone ? unconditional : conditional).clone(), new double[] {0.1, 0.2, 0.3});
    };
  }

  @Test
  void accAccNormAccMiDeltaNllAndLogLoss() {
    // Choices of 1, 8 and 4 bytes. Conditional NLLs favour the short "a" (raw), the long
    // "bbbbbbbb" per byte, and "cccc" by mutual information with the context.
    McItem item = new McItem("x", "ctx", List.of("a", "bbbbbbbb", "cccc"), 2);
    McResult r =
        MultipleChoice.evaluate(
            List.of(item, item),
            new ByteTokenizer(),
            table(new double[] {2.0, 8.0, 10.0}, new double[] {1.0, 4.0, 9.5}),
            0);
    assertEquals(0.0, r.acc(), "raw NLL picks a (2.0)");
    assertEquals(0.0, r.accNorm(), "per character picks bbbbbbbb (1.0 < 2.0, 2.5)");
    assertEquals(1.0, r.accMi(), "PMI picks cccc (10 - 9.5 = 0.5 < 1, 4)");
    assertEquals(10.0, r.nllCorrect());
    assertEquals(5.0, r.nllWrong());
    assertEquals(5.0, r.deltaNll());
    // Per byte: 10/4 - (2/1 + 8/8)/2 = 2.5 - 1.5.
    assertEquals(1.0, r.deltaNllPerByte(), 1e-6);
    // -log softmax(-nll)[cccc] = 10 + log(e^-2 + e^-8 + e^-10).
    double logLoss = 10 + Math.log(Math.exp(-2) + Math.exp(-8) + Math.exp(-10));
    assertEquals(logLoss, r.logLoss(), 1e-5);
    assertEquals(0.2, r.nllSe(), 1e-6);
    assertEquals(2, r.items());
    assertEquals("00", r.perItem().acc());
    assertEquals("11", r.perItem().accMi());
    assertEquals(0.3f, r.perItem().choiceSe()[0][2], 1e-6);
  }

  @Test
  void accNormDividesByTheChoicesCharactersWithoutTheDelimiterAsLmEvalDoes() {
    // lm-evaluation-harness: acc_norm = argmax(loglik / len(choice)), len in characters of the
    // choice text, the " " that joins it to the context not counted. "é" is one character (two
    // bytes), so per byte "éé" would lose and per character it wins.
    McItem item = new McItem("x", "ctx", List.of(" éé", " abc"), 0);
    // NLLs: " éé" 5.0 over 2 characters = 2.5; " abc" 7.8 over 3 = 2.6 (with the space: 5/3 vs
    // 7.8/4 would pick " éé"; per byte 5/5 vs 7.8/4 would pick " éé" too: all agree here).
    McResult r =
        MultipleChoice.evaluate(
            List.of(item),
            new ByteTokenizer(),
            table(new double[] {5.0, 7.8}, new double[] {1, 1}),
            0);
    assertEquals(1.0, r.accNorm());
    // The case where the counts differ: " ab" 4.4/2 = 2.2 against " éé" 5.0/2 = 2.5 by
    // characters (" ab" wins); by UTF-8 bytes with the space 4.4/3 = 1.47 vs 5.0/5 = 1.0 (" éé").
    McItem second = new McItem("y", "ctx", List.of(" éé", " ab"), 1);
    McResult s =
        MultipleChoice.evaluate(
            List.of(second),
            new ByteTokenizer(),
            table(new double[] {5.0, 4.4}, new double[] {1, 1}),
            0);
    assertEquals(1.0, s.accNorm(), "characters without the delimiter, not bytes");
    assertEquals(2, MultipleChoice.characters(" éé"));
    assertEquals(5, MultipleChoice.bytes(" éé"));
  }
}
