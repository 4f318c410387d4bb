package io.crossover.driver.report;

import io.crossover.executor.eval.EvalRecord;
import io.crossover.executor.eval.McResult;
import java.util.List;
import java.util.Locale;

/** Reads one number per evaluation out of a run: a task metric, the validation loss, epochs. */
public final class Curves {
  private Curves() {}

  /** The metrics a report can rank by. */
  public static final List<String> METRICS = List.of("acc", "acc_norm", "acc_mi");

  /** {@code metric} (acc, acc_norm, acc_mi, delta_nll) of {@code task} in one evaluation. */
  public static double value(EvalRecord r, String task, String metric) {
    McResult m = r.tasks().get(task);
    if (m == null) {
      return Double.NaN;
    }
    return switch (metric.toLowerCase(Locale.ROOT)) {
      case "acc" -> m.acc();
      case "acc_norm" -> m.accNorm();
      case "acc_mi" -> m.accMi();
      case "delta_nll" -> m.deltaNll();
      default ->
          throw new IllegalArgumentException(
              "--metric " + metric + " is not one of acc, acc_norm, acc_mi");
    };
  }
}
