package io.crossover.executor.eval;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A multiple-choice task's scores.
 *
 * @param acc share of items whose right choice has the lowest NLL
 * @param accNorm the same with NLL divided by the choice's length in characters, without the
 *     delimiter before it (lm-evaluation-harness's acc_norm)
 * @param accMi the same with NLL(choice | context) - NLL(choice | document start): the choice's
 *     pointwise mutual information with the context (lm-evaluation-harness's acc_mutual_info),
 *     which ignores how likely a choice is on its own
 * @param nllCorrect mean NLL of the right choices
 * @param nllWrong mean over items of the mean NLL of the wrong choices
 * @param deltaNll mean of NLL(right) - mean NLL(wrong): more negative is a clearer preference
 * @param deltaNllPerByte the same per UTF-8 byte of each scored choice, so that it is not
 *     confounded with the choices' lengths
 * @param logLoss mean over items of -log softmax(-NLL)[right]: the cross-entropy of the choice
 * @param nllSe mean standard error of a choice's score (0 for exact scores)
 * @param items items scored
 * @param perItem every item's outcome, for intervals (null in records written before they were
 *     kept)
 * @param taskSha256 the SHA-256 of the task file scored (null in records written before it was
 *     kept): results are paired only on the same file
 */
public record McResult(
    double acc,
    double accNorm,
    double accMi,
    double nllCorrect,
    double nllWrong,
    double deltaNll,
    double deltaNllPerByte,
    double logLoss,
    double nllSe,
    int items,
    ItemScores perItem,
    String taskSha256) {

  /** The same result, recorded as coming from the task file with this SHA-256. */
  public McResult withTask(String sha256) {
    return new McResult(
        acc,
        accNorm,
        accMi,
        nllCorrect,
        nllWrong,
        deltaNll,
        deltaNllPerByte,
        logLoss,
        nllSe,
        items,
        perItem,
        sha256);
  }

  /**
   * Per item, in task order. The accuracies are strings of '0' and '1', one character per item
   * (compact, and readable by any JSON tool).
   *
   * @param acc right by NLL
   * @param accNorm right by NLL per character
   * @param accMi right by mutual information
   * @param deltaNllPerByte NLL per byte of the right choice minus the wrong ones' mean
   * @param logLoss -log softmax(-NLL)[right]
   * @param choiceSe each choice's standard error, in choice order
   * @param ids each item's id, so that runs are paired item by item (null in records written before
   *     they were kept)
   * @param clusters each item's source document, by which intervals resample
   */
  public record ItemScores(
      String acc,
      String accNorm,
      String accMi,
      float[] deltaNllPerByte,
      float[] logLoss,
      float[][] choiceSe,
      List<String> ids,
      List<String> clusters) {

    @Override
    public boolean equals(Object o) {
      return o instanceof ItemScores x
          && acc.equals(x.acc)
          && accNorm.equals(x.accNorm)
          && accMi.equals(x.accMi)
          && Arrays.equals(deltaNllPerByte, x.deltaNllPerByte)
          && Arrays.equals(logLoss, x.logLoss)
          && Arrays.deepEquals(choiceSe, x.choiceSe)
          && Objects.equals(ids, x.ids)
          && Objects.equals(clusters, x.clusters);
    }

    @Override
    public int hashCode() {
      return Objects.hash(acc, accNorm, accMi, Arrays.hashCode(logLoss));
    }

    /**
     * A metric's value on each item: the 0/1 outcomes of acc, acc_norm or acc_mi, or each item's
     * delta_nll_per_byte.
     */
    public double[] metric(String name) {
      if (name.equals("delta_nll_per_byte")) {
        double[] out = new double[deltaNllPerByte.length];
        for (int i = 0; i < out.length; i++) {
          out[i] = deltaNllPerByte[i];
        }
        return out;
      }
      String bits =
          switch (name) {
            case "acc" -> acc;
            case "acc_norm" -> accNorm;
            case "acc_mi" -> accMi;
            default -> throw new IllegalArgumentException("no metric " + name);
          };
      double[] out = new double[bits.length()];
      for (int i = 0; i < out.length; i++) {
        out[i] = bits.charAt(i) == '1' ? 1 : 0;
      }
      return out;
    }
  }

  /** The task-level value of a metric: acc, acc_norm or acc_mi. */
  public double metric(String name) {
    return switch (name) {
      case "acc" -> acc;
      case "acc_norm" -> accNorm;
      case "acc_mi" -> accMi;
      default -> throw new IllegalArgumentException("no metric " + name);
    };
  }
}
