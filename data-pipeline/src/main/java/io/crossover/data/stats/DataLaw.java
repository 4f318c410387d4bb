package io.crossover.data.stats;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.commons.math3.analysis.UnivariateFunction;
import org.apache.commons.math3.analysis.solvers.BrentSolver;
import org.apache.commons.math3.exception.MathIllegalStateException;
import org.apache.commons.math3.fitting.leastsquares.LeastSquaresBuilder;
import org.apache.commons.math3.fitting.leastsquares.LeastSquaresOptimizer;
import org.apache.commons.math3.fitting.leastsquares.LevenbergMarquardtOptimizer;
import org.apache.commons.math3.fitting.leastsquares.MultivariateJacobianFunction;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.RealVector;
import org.apache.commons.math3.util.Pair;

/**
 * Muennighoff et al.'s data-constrained law ("Scaling Data-Constrained Language Models", 2023) for
 * one objective at one model size: {@code L = E + B / (D'/Mi)^beta}, where the effective data
 * {@code D' = U + U R* (1 - exp(-R / R*))} counts {@code R = D/U - 1} repetitions of {@code U}
 * unique tokens with a decaying worth: R* (the data-reuse half-life, in epochs) is how many
 * repetitions are worth about 63% of as many fresh epochs. Before the first repetition D' is D.
 *
 * <p>Fitted by Levenberg-Marquardt (Apache Commons Math) in {@code (E, ln B, ln beta, ln R*)} from
 * several starts; R* is kept inside [{@link #MIN_HALF_LIFE}, {@link #MAX_HALF_LIFE}] and a fit that
 * ends on either bound has not located it.
 *
 * @param e the irreducible loss
 * @param b the data term's scale, for D' in units of 2^20 tokens
 * @param beta the data exponent
 * @param halfLife R*, in epochs
 */
public record DataLaw(double e, double b, double beta, double halfLife) {
  /** Smallest R* a fit may return, in epochs. */
  public static final double MIN_HALF_LIFE = 0.05;

  /** Largest R* a fit may return: beyond it the points cannot tell R* from infinity. */
  public static final double MAX_HALF_LIFE = 10_000;

  private static final double MI = 1 << 20;
  private static final double MIN_BETA = 0.01;
  private static final double MAX_BETA = 4;

  /** One observation: {@code tokens} seen of {@code unique} unique ones gave {@code loss}. */
  public record Point(double unique, double tokens, double loss) {}

  /** D', in tokens. */
  public double effective(double unique, double tokens) {
    if (tokens <= unique) {
      return tokens;
    }
    double r = tokens / unique - 1;
    return unique * (1 + halfLife * -Math.expm1(-r / halfLife));
  }

  /** The law's loss after {@code tokens} of {@code unique}. */
  public double loss(double unique, double tokens) {
    return e + b * Math.pow(effective(unique, tokens) / MI, -beta);
  }

  /** The loss as repetition goes on forever: {@code D' = U (1 + R*)}. */
  public double floor(double unique) {
    return e + b * Math.pow(unique * (1 + halfLife) / MI, -beta);
  }

  /**
   * The fewest tokens of {@code unique} at which the law's loss reaches {@code target}: empty when
   * it never does; 0 when it starts there. Solved with Brent's method, the law being monotone.
   */
  public Optional<Double> tokensTo(double unique, double target) {
    if (!(floor(unique) < target)) {
      return Optional.empty();
    }
    // Bracket in log tokens: the law falls monotonically from +infinity towards its floor.
    double lo = Math.log(1);
    double hi = Math.log(unique);
    while (loss(unique, Math.exp(hi)) > target) {
      hi += Math.log(4);
      if (hi > Math.log(unique) + Math.log(4) * 60) {
        return Optional.empty();
      }
    }
    if (loss(unique, Math.exp(lo)) <= target) {
      return Optional.of(0.0);
    }
    UnivariateFunction gap = x -> loss(unique, Math.exp(x)) - target;
    return Optional.of(Math.exp(new BrentSolver(1e-10).solve(200, gap, lo, hi)));
  }

  /** Whether R* ended on one of its bounds, i.e. was not located. */
  public boolean atBound() {
    return halfLife <= MIN_HALF_LIFE * 1.01 || halfLife >= MAX_HALF_LIFE / 1.01;
  }

  /**
   * The least-squares law through {@code points}, or empty when no start converges. Needs at least
   * five points.
   */
  public static Optional<DataLaw> fit(List<Point> points) {
    return fit(points, null);
  }

  /**
   * The same, starting from {@code near} alone when it converges there (a resample of the points a
   * law was fitted to), else from the usual starts.
   */
  public static Optional<DataLaw> fit(List<Point> points, DataLaw near) {
    if (points.size() < 5) {
      return Optional.empty();
    }
    if (near != null) {
      Optional<Pair<DataLaw, Double>> solved = solve(points, near);
      if (solved.isPresent()) {
        return Optional.of(solved.get().getFirst());
      }
    }
    double min = points.stream().mapToDouble(Point::loss).min().orElseThrow();
    double max = points.stream().mapToDouble(Point::loss).max().orElseThrow();
    DataLaw best = null;
    double bestCost = Double.POSITIVE_INFINITY;
    for (double r0 : new double[] {1, 10, 100, 1000}) {
      for (double beta0 : new double[] {0.2, 0.6}) {
        for (double eShare : new double[] {0.5, 0.9}) {
          double e0 = min * eShare;
          DataLaw start = new DataLaw(e0, 1, beta0, r0);
          // B so that the start passes through the points' middle.
          Point mid = points.get(points.size() / 2);
          double x = start.effective(mid.unique(), mid.tokens()) / MI;
          double b0 = Math.max((max + min) / 2 - e0, 1e-3) * Math.pow(x, beta0);
          Optional<Pair<DataLaw, Double>> solved = solve(points, new DataLaw(e0, b0, beta0, r0));
          if (solved.isPresent() && solved.get().getSecond() < bestCost) {
            best = solved.get().getFirst();
            bestCost = solved.get().getSecond();
          }
        }
      }
    }
    return Optional.ofNullable(best);
  }

  private static Optional<Pair<DataLaw, Double>> solve(List<Point> points, DataLaw start) {
    int n = points.size();
    double[] observed = new double[n];
    for (int i = 0; i < n; i++) {
      observed[i] = points.get(i).loss();
    }
    MultivariateJacobianFunction model =
        p -> {
          DataLaw law = of(p);
          double[] value = new double[n];
          double[][] jacobian = new double[n][4];
          for (int i = 0; i < n; i++) {
            Point pt = points.get(i);
            double x = law.effective(pt.unique(), pt.tokens()) / MI;
            double term = law.b * Math.pow(x, -law.beta);
            value[i] = law.e + term;
            jacobian[i][0] = 1;
            jacobian[i][1] = term;
            jacobian[i][2] = -term * Math.log(x) * law.beta;
            jacobian[i][3] = -law.beta * term / x * law.dEffectiveDHalfLife(pt) / MI * law.halfLife;
          }
          return new Pair<>(new ArrayRealVector(value, false), new Array2DRowRealMatrix(jacobian));
        };
    LeastSquaresOptimizer.Optimum optimum;
    try {
      optimum =
          new LevenbergMarquardtOptimizer()
              .optimize(
                  new LeastSquaresBuilder()
                      .model(model)
                      .target(observed)
                      .start(
                          new double[] {
                            start.e,
                            Math.log(start.b),
                            Math.log(start.beta),
                            Math.log(start.halfLife)
                          })
                      .parameterValidator(DataLaw::clamp)
                      .maxEvaluations(2_000)
                      .maxIterations(2_000)
                      .build());
    } catch (MathIllegalStateException e) {
      return Optional.empty();
    }
    DataLaw law = of(optimum.getPoint());
    double cost = optimum.getCost();
    if (!Double.isFinite(cost) || !(law.b > 0)) {
      return Optional.empty();
    }
    return Optional.of(new Pair<>(law, cost));
  }

  private double dEffectiveDHalfLife(Point pt) {
    if (pt.tokens() <= pt.unique()) {
      return 0;
    }
    double r = pt.tokens() / pt.unique() - 1;
    double q = Math.exp(-r / halfLife);
    return pt.unique() * (1 - q - r / halfLife * q);
  }

  private static RealVector clamp(RealVector p) {
    RealVector out = p.copy();
    // The irreducible loss is a loss: not below 0.
    out.setEntry(0, Math.max(0, p.getEntry(0)));
    out.setEntry(1, Math.max(-50, Math.min(50, p.getEntry(1))));
    out.setEntry(2, Math.max(Math.log(MIN_BETA), Math.min(Math.log(MAX_BETA), p.getEntry(2))));
    out.setEntry(
        3, Math.max(Math.log(MIN_HALF_LIFE), Math.min(Math.log(MAX_HALF_LIFE), p.getEntry(3))));
    return out;
  }

  private static DataLaw of(RealVector p) {
    return new DataLaw(
        p.getEntry(0), Math.exp(p.getEntry(1)), Math.exp(p.getEntry(2)), Math.exp(p.getEntry(3)));
  }

  /** Points along a grid of tokens, for drawing the law. */
  public List<Point> curve(double unique, double fromTokens, double toTokens, int n) {
    List<Point> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double t = fromTokens * Math.pow(toTokens / fromTokens, i / (double) (n - 1));
      out.add(new Point(unique, t, loss(unique, t)));
    }
    return out;
  }
}
