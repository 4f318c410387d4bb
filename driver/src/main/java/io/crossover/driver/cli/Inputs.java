package io.crossover.driver.cli;

import io.crossover.data.UserException;
import io.crossover.data.config.TrainConfig;

/**
 * One validator per kind of value the commands take on their command lines, so that {@code model},
 * {@code estimate}, {@code bench} and {@code train} cannot disagree about what is allowed: each
 * refusal names the option, the value and what is allowed (exit 2).
 */
public final class Inputs {
  private Inputs() {}

  /** The fewest ids a vocabulary can have: one token besides the end-of-document and MASK ids. */
  static final int MIN_VOCAB = 3;

  /** A vocabulary size. */
  static int vocab(int v, String option) {
    if (v < MIN_VOCAB) {
      throw new UserException(
          option
              + " "
              + v
              + ": a vocabulary needs at least "
              + MIN_VOCAB
              + " ids (a token, end-of-document and MASK); the byte tokenizer has 259");
    }
    return v;
  }

  /** A count that must be at least 1 (cores, ranks, steps). */
  static int positive(int v, String option, String what) {
    if (v < 1) {
      throw new UserException(option + " " + v + ": " + what + " must be at least 1");
    }
    return v;
  }

  /** A micro-batch for a batch of {@code batch} sequences, by train.micro-batch's own rule. */
  public static int microBatch(int micro, int batch, String option, String batchOption) {
    String problem = TrainConfig.microBatchProblem(micro, batch);
    if (problem != null) {
      throw new UserException(
          option
              + " "
              + problem.replace("value " + micro + " ", "")
              + " ("
              + batchOption
              + " "
              + batch
              + "); use a divisor of "
              + batch
              + ", or 0 for all of them in one pass");
    }
    return micro;
  }
}
