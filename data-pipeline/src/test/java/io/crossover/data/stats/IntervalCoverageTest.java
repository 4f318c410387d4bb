package io.crossover.data.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The report's 95% interval keeps its coverage at the seed counts studies actually run. Synthetic
 * studies: 1,000 items in 25 documents (items of a document share an effect), two arms whose
 * per-item success probabilities share the item's difficulty, carry an arm-specific item effect
 * (shared by all seeds: the same items are scored), a seed effect per (arm, seed) of sd 0.02 (the
 * size the toy study's seeds showed), and Bernoulli outcomes. A linear probability model keeps the
 * truth exact: the true difference is what was added to MDM; conditional on the seeds drawn it adds
 * their mean seed effects.
 */
class IntervalCoverageTest {
  static final int DOCS = 25;
  static final int PER_DOC = 40;
  static final int STUDIES = 1000;
  static final double SEED_SD = 0.02;

  /** Coverage of the population truth, of the truth given the seeds, and the rate of "MDM wins". */
  record Coverage(double population, double givenSeeds, double positive) {}

  static Coverage simulate(int seeds, double delta, double itemEffect, long seed) {
    return simulate(seeds, delta, itemEffect, seed, STUDIES, false);
  }

  static Coverage simulate(
      int seeds, double delta, double itemEffect, long seed, int studies, boolean oldBootstrap) {
    SplittableRandom random = new SplittableRandom(seed);
    int n = DOCS * PER_DOC;
    int[] cluster = new int[n];
    for (int i = 0; i < n; i++) {
      cluster[i] = i / PER_DOC;
    }
    int population = 0;
    int conditional = 0;
    int positive = 0;
    for (int study = 0; study < studies; study++) {
      double[] docLevel = new double[DOCS];
      double[] docAr = new double[DOCS];
      double[] docMdm = new double[DOCS];
      for (int d = 0; d < DOCS; d++) {
        docLevel[d] = uniform(random, 0.08);
        docAr[d] = uniform(random, itemEffect / 2);
        docMdm[d] = uniform(random, itemEffect / 2);
      }
      double[] base = new double[n];
      double[] ar = new double[n];
      double[] mdm = new double[n];
      for (int i = 0; i < n; i++) {
        base[i] = 0.3 + docLevel[cluster[i]] + uniform(random, 0.1);
        ar[i] = uniform(random, itemEffect) + docAr[cluster[i]];
        mdm[i] = uniform(random, itemEffect) + docMdm[cluster[i]] + delta;
      }
      List<double[]> differences = new ArrayList<>();
      double seedMean = 0;
      for (int s = 0; s < seeds; s++) {
        double ua = seedEffect(random);
        double um = seedEffect(random);
        seedMean += (um - ua) / seeds;
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
          double a = random.nextDouble() < base[i] + ar[i] + ua ? 1 : 0;
          double m = random.nextDouble() < base[i] + mdm[i] + um ? 1 : 0;
          d[i] = m - a;
        }
        differences.add(d);
      }
      Estimate e =
          oldBootstrap
              ? twoLevelBootstrap(differences, random)
              : Clustered.seedMean(differences, cluster, 0.95);
      population += e.low() <= delta && delta <= e.high() ? 1 : 0;
      double given = delta + seedMean;
      conditional += e.low() <= given && given <= e.high() ? 1 : 0;
      positive += e.positive() ? 1 : 0;
    }
    return new Coverage(
        (double) population / studies, (double) conditional / studies, (double) positive / studies);
  }

  /**
   * The interval the report used before: resample the seeds with replacement, then within each
   * resampled seed its items independently; percentiles of 500 resamples.
   */
  static Estimate twoLevelBootstrap(List<double[]> seeds, SplittableRandom random) {
    int resamples = 500;
    double[] boot = new double[resamples];
    double value = 0;
    for (double[] d : seeds) {
      value += Clustered.mean(d) / seeds.size();
    }
    for (int r = 0; r < resamples; r++) {
      double sum = 0;
      for (int s = 0; s < seeds.size(); s++) {
        double[] x = seeds.get(random.nextInt(seeds.size()));
        double inner = 0;
        for (int i = 0; i < x.length; i++) {
          inner += x[random.nextInt(x.length)];
        }
        sum += inner / x.length;
      }
      boot[r] = sum / seeds.size();
    }
    java.util.Arrays.sort(boot);
    return new Estimate(
        value, boot[12], boot[487], 0.95, seeds.size(), seeds.get(0).length, 0, "old bootstrap");
  }

  private static double uniform(SplittableRandom random, double half) {
    return (2 * random.nextDouble() - 1) * half;
  }

  /** Normal, truncated at 3 sd so that probabilities stay inside [0, 1]. */
  private static double seedEffect(SplittableRandom random) {
    double z;
    do {
      z =
          Math.sqrt(-2 * Math.log(1 - random.nextDouble()))
              * Math.cos(2 * Math.PI * random.nextDouble());
    } while (Math.abs(z) > 3);
    return z * SEED_SD;
  }

  @Test
  void theIntervalCoversTheTruthAtOneThreeAndFiveSeeds() {
    for (double itemEffect : new double[] {0.05, 0.1}) {
      for (int seeds : new int[] {1, 3, 5}) {
        Coverage c = simulate(seeds, 0, itemEffect, 17 + seeds);
        System.out.printf(
            Locale.ROOT,
            "coverage, %d seed(s), no true difference, item effect %.2f: %.3f of %d studies"
                + " (given the seeds drawn: %.3f); false \"MDM wins\": %.3f%n",
            seeds,
            itemEffect,
            c.population(),
            STUDIES,
            c.givenSeeds(),
            c.positive());
        // One seed cannot show the spread another seed would add: its interval is over items,
        // for the models trained, and is checked against that truth.
        double covered = seeds == 1 ? c.givenSeeds() : c.population();
        assertTrue(covered >= 0.93, seeds + " seed(s): coverage " + covered);
        if (seeds > 1) {
          assertTrue(c.positive() <= 0.05, seeds + " seed(s): false positives " + c.positive());
        }
      }
    }
  }

  @Test
  void aTrueDifferenceOfEightPointsIsDetectedWithFiveSeeds() {
    StringBuilder line = new StringBuilder("power (share of studies whose interval is above 0):");
    for (double delta : new double[] {0.05, 0.08}) {
      for (int seeds : new int[] {3, 5}) {
        Coverage c = simulate(seeds, delta, 0.05, 90 + seeds);
        line.append(
            String.format(
                Locale.ROOT,
                " %+.2f at %d seeds %.3f (coverage %.3f);",
                delta,
                seeds,
                c.positive(),
                c.population()));
        assertTrue(c.population() >= 0.93, "coverage with a true difference: " + c);
        if (delta == 0.08 && seeds == 5) {
          assertTrue(c.positive() >= 0.8, "power for +0.08 at 5 seeds: " + c);
        }
      }
    }
    System.out.println(line + " 1,000 items in 25 documents, seed sd 0.02");
  }

  /**
   * A difference of two leads (say a larger model's MDM − AR minus a smaller one's) where one lead
   * rests on 5 seeds and the other on 1: the single seed borrows the pooled seed spread, and the
   * interval still covers the population truth.
   */
  @Test
  void aContrastOfFiveSeedsWithOneKeepsItsCoverage() {
    SplittableRandom random = new SplittableRandom(11);
    int n = DOCS * PER_DOC;
    int[] cluster = new int[n];
    for (int i = 0; i < n; i++) {
      cluster[i] = i / PER_DOC;
    }
    int covered = 0;
    int studies = 600;
    for (int study = 0; study < studies; study++) {
      double[] base = new double[n];
      for (int i = 0; i < n; i++) {
        base[i] = 0.3 + uniform(random, 0.1);
      }
      List<Clustered.Group> groups = new ArrayList<>();
      for (int[] spec : new int[][] {{5, 1}, {1, -1}}) {
        List<double[]> seeds = new ArrayList<>();
        for (int s = 0; s < spec[0]; s++) {
          double ua = seedEffect(random);
          double um = seedEffect(random);
          double[] d = new double[n];
          for (int i = 0; i < n; i++) {
            d[i] =
                (random.nextDouble() < base[i] + um ? 1 : 0)
                    - (random.nextDouble() < base[i] + ua ? 1 : 0);
          }
          seeds.add(d);
        }
        groups.add(new Clustered.Group(spec[1], seeds));
      }
      Estimate e = Clustered.contrast(groups, cluster, 0.95);
      covered += e.low() <= 0 && 0 <= e.high() ? 1 : 0;
    }
    System.out.printf(
        Locale.ROOT,
        "coverage of a contrast of 5 seeds with 1 seed, no true difference: %.3f of %d studies%n",
        (double) covered / studies,
        studies);
    assertTrue(covered >= 0.93 * studies, covered + " of " + studies);
  }

  /** The test can fail: the two-level percentile bootstrap it replaces does not pass it. */
  @Test
  void theOldTwoLevelBootstrapUnderCoversAtThreeSeeds() {
    Coverage old = simulate(3, 0, 0.05, 5, 300, true);
    System.out.printf(
        Locale.ROOT,
        "coverage of the old two-level percentile bootstrap, 3 seeds: %.3f of 300 studies%n",
        old.population());
    assertTrue(old.population() < 0.93, "old bootstrap coverage " + old.population());
  }

  @Test
  void studentQuantilesMatchTheTables() {
    assertEquals(12.706, StudentT.critical(0.95, 1), 1e-3);
    assertEquals(4.303, StudentT.critical(0.95, 2), 1e-3);
    assertEquals(2.776, StudentT.critical(0.95, 4), 1e-3);
    assertEquals(2.064, StudentT.critical(0.95, 24), 1e-3);
    assertEquals(1.960, StudentT.critical(0.95, 1e7), 1e-3);
    assertEquals(3.182, StudentT.critical(0.95, 3), 1e-3);
    assertEquals(-1.476, StudentT.quantile(0.1, 5), 1e-3);
    assertEquals(0.975, StudentT.cdf(2.228, 10), 1e-4);
  }

  @Test
  void identicalSeedsAddNoSeedSpreadAndClustersWiden() {
    int[] oneEach = new int[200];
    int[] tenDocs = new int[200];
    double[] y = new double[200];
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 200; i++) {
      oneEach[i] = i;
      tenDocs[i] = i / 20;
      // Items of a document move together: their outcomes share the document's level.
      y[i] =
          (i / 20) % 2 == 0
              ? (random.nextDouble() < 0.8 ? 1 : 0)
              : (random.nextDouble() < 0.2 ? 1 : 0);
    }
    Estimate independent = Clustered.mean(y, oneEach, 0.95);
    Estimate clustered = Clustered.mean(y, tenDocs, 0.95);
    assertEquals(independent.value(), clustered.value(), 1e-12);
    assertTrue(
        clustered.halfWidth() > 2 * independent.halfWidth(),
        "clustered " + clustered + " vs independent " + independent);
    Estimate twice = Clustered.seedMean(List.of(y, y.clone()), tenDocs, 0.95);
    assertEquals(clustered.halfWidth(), twice.halfWidth(), 1e-9);
  }
}
