package io.crossover.data.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.data.stats.LawFit.Curve;
import io.crossover.data.stats.LawFit.Fit;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The law's fit on synthetic curves drawn from known laws with the noise of real ones: a fixed
 * offset per validation document and per sequence (shared by every evaluation, as real validation
 * sets are), one per seed, and a little per evaluation.
 */
class LawFitTest {
  static final double KI = 1024;
  static final DataLaw AR = new DataLaw(1.6, 0.5, 0.45, 6);
  static final DataLaw MDM = new DataLaw(1.7, 0.8, 0.35, 120);
  static final double[] BUDGETS = {16 * KI, 64 * KI, 256 * KI};
  static final double TOTAL = 4 * 1024 * KI;

  /** Each seed's curve sits this far from the law (all its evaluations alike). */
  static final double SEED_SD = 0.01;

  /** Each evaluation of a curve moves this much on its own (the state of training there). */
  static final double EVAL_SD = 0.005;

  /** A study: per budget {@code seeds} curves of each law, 10 evaluations each. */
  static List<Curve> study(DataLaw ar, DataLaw mdm, double[] budgets, int seeds, Random random) {
    int docs = 33;
    int perDoc = 8;
    int[] docOf = new int[docs * perDoc];
    double[] docEffect = new double[docs];
    double[] seqEffect = new double[docOf.length];
    for (int d = 0; d < docs; d++) {
      docEffect[d] = 0.15 * random.nextGaussian();
    }
    for (int s = 0; s < docOf.length; s++) {
      docOf[s] = s / perDoc;
      seqEffect[s] = 0.1 * random.nextGaussian();
    }
    List<Curve> out = new ArrayList<>();
    for (String objective : List.of("ar", "mdm")) {
      DataLaw law = objective.equals("ar") ? ar : mdm;
      for (double u : budgets) {
        for (int seed = 0; seed < seeds; seed++) {
          double seedOffset = SEED_SD * random.nextGaussian();
          int points = 11;
          double[] tokens = new double[points];
          double[][] losses = new double[points][docOf.length];
          for (int j = 0; j < points; j++) {
            tokens[j] = TOTAL * j / (points - 1);
            double truth = j == 0 ? 5.5 : law.loss(u, tokens[j]);
            double noise = EVAL_SD * random.nextGaussian();
            for (int s = 0; s < docOf.length; s++) {
              losses[j][s] = truth + docEffect[docOf[s]] + seqEffect[s] + seedOffset + noise;
            }
          }
          out.add(new Curve(objective, "loss", u, tokens, losses, docOf));
        }
      }
    }
    return out;
  }

  @Test
  void recoversKnownHalfLivesWithinTheirIntervals() {
    LawFit.Result result = LawFit.fit(study(AR, MDM, BUDGETS, 3, new Random(7)), 100, 1);
    for (var e : result.fits().entrySet()) {
      Fit fit = e.getValue();
      DataLaw truth = e.getKey().equals("ar") ? AR : MDM;
      assertTrue(fit.identified(), e.getKey() + ": " + fit.why());
      assertTrue(
          fit.halfLife().low() <= truth.halfLife() && truth.halfLife() <= fit.halfLife().high(),
          e.getKey() + " R* " + fit.halfLife());
      assertTrue(
          fit.exponent().low() <= truth.beta() && truth.beta() <= fit.exponent().high(),
          e.getKey() + " beta " + fit.exponent());
    }
    LawFit.Interval ratio =
        result.interval(
            MDM.halfLife() / AR.halfLife(), r -> r.get("mdm").halfLife() / r.get("ar").halfLife());
    assertTrue(ratio.low() > 1, "MDM's half-life is 20x AR's: " + ratio);
  }

  /** Coverage of R*'s 95% interval over repeated synthetic studies. */
  @Test
  void halfLifeIntervalsCoverTheTruth() {
    int studies = 40;
    int covered = 0;
    int identified = 0;
    Random random = new Random(11);
    for (int i = 0; i < studies; i++) {
      Fit fit = LawFit.fit(study(AR, MDM, BUDGETS, 3, random), 60, i).fits().get("ar");
      if (fit.identified()) {
        identified++;
        if (fit.halfLife().low() <= AR.halfLife() && AR.halfLife() <= fit.halfLife().high()) {
          covered++;
        }
      }
    }
    assertEquals(studies, identified);
    // Nominal 95%, measured 84% over 100 such studies (93% without the per-evaluation wiggle,
    // which best-so-far points turn into a bias): docs/SCIENCE.md states it. At 40 studies a true
    // 84% falls below 30 about one time in 10; below 27 (a true 75%) fails.
    assertTrue(covered >= 27, "covered " + covered + " of " + studies);
  }

  @Test
  void aBudgetThatNeverRepeatsCannotLocateTheHalfLife() {
    Fit fit =
        LawFit.fit(study(AR, MDM, new double[] {8 * 1024 * KI}, 2, new Random(3)), 60, 1)
            .fits()
            .get("ar");
    assertFalse(fit.identified());
    assertTrue(fit.why().contains("repeats its data"), fit.why());
  }

  @Test
  void aPlantedCrossingIsFoundWhereItIsAndNoneWhereThereIsNone() {
    LawFit.Result result = LawFit.fit(study(AR, MDM, BUDGETS, 3, new Random(5)), 100, 2);
    double scarce = 16 * KI;
    double truth = MDM.tokensTo(scarce, AR.loss(scarce, TOTAL)).orElseThrow();
    LawFit.Crossing crossing = LawFit.crossing(result, "ar", "mdm", scarce, TOTAL);
    assertTrue(
        crossing.predicted().low() <= truth && truth <= crossing.predicted().high(),
        "planted at " + truth + ", predicted " + crossing.predicted());
    // Evaluations every TOTAL / 10 tokens: the first one past the planted point sees it.
    assertEquals(Math.ceil(truth / (TOTAL / 10)) * (TOTAL / 10), crossing.observed(), 1);
    // At 256Ki MDM's law passes AR's best only far beyond the runs: predicted, not observed.
    LawFit.Crossing plentiful = LawFit.crossing(result, "ar", "mdm", 256 * KI, TOTAL);
    assertTrue(Double.isNaN(plentiful.observed()), "observed " + plentiful.observed());
    assertTrue(plentiful.predicted().value() > TOTAL, plentiful.predicted().toString());

    DataLaw never = new DataLaw(2.6, 0.8, 0.35, 120);
    LawFit.Result none = LawFit.fit(study(AR, never, BUDGETS, 2, new Random(6)), 60, 3);
    LawFit.Crossing nowhere = LawFit.crossing(none, "ar", "mdm", scarce, TOTAL);
    assertTrue(Double.isNaN(nowhere.observed()));
    assertEquals(Double.POSITIVE_INFINITY, nowhere.predicted().value());
    assertEquals(Double.POSITIVE_INFINITY, nowhere.predicted().low());
  }

  @Test
  void theLawIsMonotoneAndSolvesForALoss() {
    double u = 16 * KI;
    double target = MDM.loss(u, 2 * 1024 * KI);
    double tokens = MDM.tokensTo(u, target).orElseThrow();
    assertEquals(2 * 1024 * KI, tokens, 1);
    assertTrue(MDM.tokensTo(u, MDM.floor(u) - 1e-3).isEmpty());
    assertTrue(AR.loss(u, 1e6) > AR.loss(u, 2e6));
  }
}
