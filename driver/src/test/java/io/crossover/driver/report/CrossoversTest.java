package io.crossover.driver.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The crossover point and the data potential on curves whose answers are known. */
class CrossoversTest {
  @Test
  void crossoverIsTheFirstPointFromWhichMdmStaysAbove() {
    double[] ar = {0.25, 0.30, 0.34, 0.36, 0.35, 0.33};
    double[] mdm = {0.25, 0.26, 0.30, 0.37, 0.38, 0.40};
    assertEquals(3, Crossovers.crossoverIndex(ar, mdm));
  }

  @Test
  void aLeadThatIsLostAgainIsNoCrossoverAndADipMovesIt() {
    assertEquals(-1, Crossovers.crossoverIndex(new double[] {1, 1, 1}, new double[] {2, 2, 0.5}));
    // Ahead at 1, behind at 2, ahead from 3 on: the crossover is 3.
    assertEquals(
        3, Crossovers.crossoverIndex(new double[] {1, 1, 1, 1, 1}, new double[] {0, 2, 0, 2, 2}));
    assertEquals(0, Crossovers.crossoverIndex(new double[] {1, 1}, new double[] {2, 2}));
    // A tie is not "above".
    assertEquals(-1, Crossovers.crossoverIndex(new double[] {1, 1}, new double[] {0, 1}));
    assertThrows(
        IllegalArgumentException.class,
        () -> Crossovers.crossoverIndex(new double[] {1}, new double[] {1, 2}));
  }

  @Test
  void dataPotentialInterpolatesInLogUniqueTokens() {
    // AR's best score grows by 0.1 per doubling of unique data.
    double[] budgets = {1e6, 2e6, 4e6, 8e6};
    double[] ar = {0.10, 0.20, 0.30, 0.40};
    // MDM at 1M reaches 0.25: AR needs 2^1.5 M = 2.83x as much.
    Crossovers.Potential p = Crossovers.dataPotential(budgets, ar, 0.25, 1e6);
    assertEquals("=", p.bound());
    assertEquals(Math.pow(2, 1.5), p.ratio(), 1e-9);
    assertEquals("2.83x", p.toString());
    // Exactly on a budget.
    assertEquals(4.0, Crossovers.dataPotential(budgets, ar, 0.30, 1e6).ratio(), 1e-9);
  }

  @Test
  void dataPotentialBeyondTheBudgetsRunIsABound() {
    double[] budgets = {1e6, 2e6, 4e6, 8e6};
    double[] ar = {0.10, 0.20, 0.30, 0.40};
    Crossovers.Potential above = Crossovers.dataPotential(budgets, ar, 0.50, 1e6);
    assertEquals(">", above.bound());
    assertEquals(8.0, above.ratio(), 1e-9);
    assertEquals("> 8.00x", above.toString());
    Crossovers.Potential below = Crossovers.dataPotential(budgets, ar, 0.05, 2e6);
    assertEquals("<=", below.bound());
    assertEquals(0.5, below.ratio(), 1e-9);
  }

  @Test
  void dataPotentialTakesTheFirstBudgetThatReachesTheTarget() {
    // Not monotone: AR peaks at 2M, dips, recovers; the smallest sufficient budget counts.
    double[] budgets = {1e6, 2e6, 4e6};
    double[] ar = {0.1, 0.5, 0.2};
    assertEquals(Math.pow(2, 0.5), Crossovers.dataPotential(budgets, ar, 0.3, 1e6).ratio(), 1e-9);
    assertThrows(
        IllegalArgumentException.class,
        () -> Crossovers.dataPotential(new double[] {2, 1}, new double[] {0, 1}, 0.5, 1));
  }
}
