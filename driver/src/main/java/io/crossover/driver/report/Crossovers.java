package io.crossover.driver.report;

import java.util.Locale;

/**
 * The two numbers the report is for: where MDM overtakes AR along a pair of runs, and how much more
 * unique data AR needs to match MDM.
 */
public final class Crossovers {
  private Crossovers() {}

  /**
   * The first index from which MDM stays strictly above AR up to the last point, or -1 when MDM is
   * not above AR at the last point (no crossover). Index 0 means MDM leads throughout.
   */
  public static int crossoverIndex(double[] ar, double[] mdm) {
    if (ar.length != mdm.length) {
      throw new IllegalArgumentException(ar.length + " AR points vs " + mdm.length + " MDM points");
    }
    int first = -1;
    for (int i = mdm.length - 1; i >= 0; i--) {
      if (mdm[i] > ar[i]) {
        first = i;
      } else {
        break;
      }
    }
    return first;
  }

  /**
   * How much unique data AR needs to reach a target.
   *
   * @param ratio the unique tokens AR needs divided by {@code reference} (a bound when not exact)
   * @param bound {@code "="} when interpolated between budgets run, {@code ">"} when AR never
   *     reaches the target (the ratio is that of the largest budget run, a lower bound), {@code
   *     "<="} when AR already reaches it at the smallest budget
   */
  public record Potential(double ratio, String bound) {
    @Override
    public String toString() {
      String r = String.format(Locale.ROOT, "%.2fx", ratio);
      return bound.equals("=") ? r : bound + " " + r;
    }
  }

  /**
   * The data potential: AR's best score as a function of log(unique tokens), linear between the
   * budgets run, inverted at {@code target} (e.g. MDM's best score at budget {@code reference}).
   *
   * @param budgets unique-token budgets of the AR runs, ascending
   * @param arBest AR's best score at each budget
   */
  public static Potential dataPotential(
      double[] budgets, double[] arBest, double target, double reference) {
    if (budgets.length == 0 || budgets.length != arBest.length) {
      throw new IllegalArgumentException("need AR scores for each budget");
    }
    for (int i = 1; i < budgets.length; i++) {
      if (!(budgets[i] > budgets[i - 1])) {
        throw new IllegalArgumentException("budgets must ascend");
      }
    }
    if (arBest[0] >= target) {
      return new Potential(budgets[0] / reference, "<=");
    }
    for (int i = 1; i < budgets.length; i++) {
      if (arBest[i] >= target) {
        double f = (target - arBest[i - 1]) / (arBest[i] - arBest[i - 1]);
        double logU =
            Math.log(budgets[i - 1]) + f * (Math.log(budgets[i]) - Math.log(budgets[i - 1]));
        return new Potential(Math.exp(logU) / reference, "=");
      }
    }
    return new Potential(budgets[budgets.length - 1] / reference, ">");
  }
}
