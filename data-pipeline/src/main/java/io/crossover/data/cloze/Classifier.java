package io.crossover.data.cloze;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.CholeskyDecomposition;

/**
 * The blind audit's strongest baseline: a conditional-logit model (softmax over an item's choices
 * of a linear score) over every surface feature the rules use, fitted by ridge-penalised Newton
 * steps on four folds and scored on the fifth, folds by document so that a document's items are
 * never on both sides.
 */
final class Classifier {
  private static final int FOLDS = 5;
  private static final double RIDGE = 1.0;
  private static final int NEWTON_STEPS = 15;

  private Classifier() {}

  /** Each item's held-out credit (1, 0, or a share of a tie). */
  static double[] crossValidated(
      List<BlindAudit.Item> items, List<BlindAudit.Choice[]> choices, int tables, long seed) {
    List<double[][]> features = standardised(items, choices, tables);
    int[] fold = folds(items, seed);
    double[] credit = new double[items.size()];
    for (int f = 0; f < FOLDS; f++) {
      List<Integer> train = new ArrayList<>();
      for (int i = 0; i < items.size(); i++) {
        if (fold[i] != f) {
          train.add(i);
        }
      }
      double[] w = fit(features, items, train);
      for (int i = 0; i < items.size(); i++) {
        if (fold[i] == f) {
          double[][] x = features.get(i);
          double[] scores = new double[x.length];
          for (int c = 0; c < x.length; c++) {
            scores[c] = dot(w, x[c]);
          }
          credit[i] = BlindAudit.credit(scores, items.get(i).answer());
        }
      }
    }
    return credit;
  }

  /** Folds by document: documents shuffled by the seed, dealt out in turn. */
  static int[] folds(List<BlindAudit.Item> items, long seed) {
    TreeSet<String> docs = new TreeSet<>();
    items.forEach(i -> docs.add(i.cluster()));
    int[] fold = new int[items.size()];
    if (docs.size() < FOLDS) {
      for (int i = 0; i < fold.length; i++) {
        fold[i] = i % FOLDS;
      }
      return fold;
    }
    List<String> order = new ArrayList<>(docs);
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = order.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      String t = order.get(i);
      order.set(i, order.get(j));
      order.set(j, t);
    }
    Map<String, Integer> of = new HashMap<>();
    for (int i = 0; i < order.size(); i++) {
      of.put(order.get(i), i % FOLDS);
    }
    for (int i = 0; i < fold.length; i++) {
      fold[i] = of.get(items.get(i).cluster());
    }
    return fold;
  }

  /** Per item, per choice: the features, centred within the item and scaled to unit spread. */
  static List<double[][]> standardised(
      List<BlindAudit.Item> items, List<BlindAudit.Choice[]> choices, int tables) {
    List<double[][]> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      BlindAudit.Item item = items.get(i);
      BlindAudit.Choice[] cs = choices.get(i);
      double[][] x = new double[cs.length][];
      for (int c = 0; c < cs.length; c++) {
        x[c] = raw(item, cs, c, tables);
      }
      int p = x[0].length;
      for (int k = 0; k < p; k++) {
        double mean = 0;
        for (double[] row : x) {
          mean += row[k] / x.length;
        }
        for (double[] row : x) {
          row[k] -= mean;
        }
      }
      out.add(x);
    }
    int p = out.get(0)[0].length;
    for (int k = 0; k < p; k++) {
      double ss = 0;
      long n = 0;
      for (double[][] x : out) {
        for (double[] row : x) {
          ss += row[k] * row[k];
          n++;
        }
      }
      double sd = Math.sqrt(ss / Math.max(1, n));
      for (double[][] x : out) {
        for (double[] row : x) {
          row[k] = sd > 0 ? row[k] / sd : 0;
        }
      }
    }
    return out;
  }

  private static double[] raw(BlindAudit.Item item, BlindAudit.Choice[] cs, int c, int tables) {
    BlindAudit.Choice x = cs[c];
    double[] f = new double[10 + 3 * tables];
    f[0] = x.chars();
    f[1] = Math.abs(x.chars() - others(cs, c, y -> y.chars()));
    f[2] = x.words();
    f[3] = BlindAudit.caseAgrees(item, x) ? 1 : 0;
    f[4] = x.trailing().equals(Surface.trailing(item.context())) ? 1 : 0;
    f[5] = x.firstCase() == 'U' ? 1 : 0;
    f[6] = x.firstCase() == 'O' ? 1 : 0;
    f[7] = x.trailing().equals("end") ? 1 : 0;
    f[8] = x.trailing().equals("comma") ? 1 : 0;
    f[9] = x.trailing().equals("other") ? 1 : 0;
    for (int t = 0; t < tables; t++) {
      int table = t;
      f[10 + 3 * t] = x.meanLog()[t];
      f[11 + 3 * t] = Math.abs(x.meanLog()[t] - others(cs, c, y -> y.meanLog()[table]));
      f[12 + 3 * t] = x.minLog()[t];
    }
    return f;
  }

  private static double others(
      BlindAudit.Choice[] cs, int c, ToDoubleFunction<BlindAudit.Choice> v) {
    double s = 0;
    for (int j = 0; j < cs.length; j++) {
      if (j != c) {
        s += v.applyAsDouble(cs[j]);
      }
    }
    return s / Math.max(1, cs.length - 1);
  }

  /** Ridge-penalised conditional logit by Newton's method. */
  static double[] fit(List<double[][]> features, List<BlindAudit.Item> items, List<Integer> rows) {
    int p = features.get(0)[0].length;
    double[] w = new double[p];
    for (int step = 0; step < NEWTON_STEPS; step++) {
      double[] grad = new double[p];
      double[][] hess = new double[p][p];
      for (int k = 0; k < p; k++) {
        grad[k] = -RIDGE * w[k];
        hess[k][k] = RIDGE;
      }
      for (int i : rows) {
        double[][] x = features.get(i);
        double[] prob = softmax(w, x);
        double[] mu = new double[p];
        for (int c = 0; c < x.length; c++) {
          for (int k = 0; k < p; k++) {
            mu[k] += prob[c] * x[c][k];
          }
        }
        double[] right = x[items.get(i).answer()];
        for (int k = 0; k < p; k++) {
          grad[k] += right[k] - mu[k];
        }
        for (int c = 0; c < x.length; c++) {
          for (int a = 0; a < p; a++) {
            double da = x[c][a] - mu[a];
            for (int b = 0; b < p; b++) {
              hess[a][b] += prob[c] * da * (x[c][b] - mu[b]);
            }
          }
        }
      }
      double[] delta = solve(hess, grad);
      for (int k = 0; k < p; k++) {
        w[k] += delta[k];
      }
    }
    return w;
  }

  private static double[] softmax(double[] w, double[][] x) {
    double[] s = new double[x.length];
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < x.length; c++) {
      s[c] = dot(w, x[c]);
      max = Math.max(max, s[c]);
    }
    double z = 0;
    for (int c = 0; c < x.length; c++) {
      s[c] = Math.exp(s[c] - max);
      z += s[c];
    }
    for (int c = 0; c < x.length; c++) {
      s[c] /= z;
    }
    return s;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  /** Solves A x = b for the symmetric positive-definite Hessian (the ridge keeps it so). */
  static double[] solve(double[][] a, double[] b) {
    // Symmetric to rounding only: its two triangles sum the same products in another order.
    return new CholeskyDecomposition(new Array2DRowRealMatrix(a, false), 1e-9, 1e-12)
        .getSolver()
        .solve(new ArrayRealVector(b, false))
        .toArray();
  }
}
