package io.crossover.executor.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crossover.data.tokenize.ByteTokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The metric arithmetic, on likelihoods given as a table (the model's part is tested elsewhere).
 */
class MultipleChoiceTest {
  @Test
  void accAccNormAccMiAndDeltaNll() {
    // Choices of 1, 8 and 4 bytes. Conditional NLLs favour the short "a" (raw), the long
    // "bbbbbbbb" per byte, and "cccc" by mutual information with the context.
    McItem item = new McItem("x", "ctx", List.of("a", "bbbbbbbb", "cccc"), 2);
    int eod = ByteTokenizer.EOD;
    Likelihood table =
        (context, choices, seed) -> {
          boolean unconditional = context.length == 1 && context[0] == eod;
          double[] out = new double[choices.size()];
          for (int c = 0; c < out.length; c++) {
            int length = choices.get(c).length;
            out[c] =
                unconditional ? new double[] {1.0, 4.0, 9.5}[c] : new double[] {2.0, 8.0, 10.0}[c];
            assertEquals(new int[] {1, 8, 4}[c], length);
          }
          return out;
        };
    McResult r = MultipleChoice.evaluate(List.of(item, item), new ByteTokenizer(), table, 0);
    assertEquals(0.0, r.acc(), "raw NLL picks a (2.0)");
    assertEquals(0.0, r.accNorm(), "per byte picks bbbbbbbb (1.0 < 2.0, 2.5)");
    assertEquals(1.0, r.accMi(), "PMI picks cccc (10 - 9.5 = 0.5 < 1, 4)");
    assertEquals(10.0, r.nllCorrect());
    assertEquals(5.0, r.nllWrong());
    assertEquals(5.0, r.deltaNll());
    assertEquals(2, r.items());
  }
}
