package io.crossover.data.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
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

  /** 1,000 items in 25 documents of 40. */
  static final int[] EQUAL = equal();

  /**
   * 1,000 items in 33 documents of unequal size (5 to 105 items, log-normal weights), as a cloze of
   * the Brown slice's held-out documents can be.
   */
  static final int[] UNEQUAL = unequal(33, 1000, 4);

  static int[] equal() {
    int[] cluster = new int[DOCS * PER_DOC];
    for (int i = 0; i < cluster.length; i++) {
      cluster[i] = i / PER_DOC;
    }
    return cluster;
  }

  static int[] unequal(int docs, int items, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] w = new double[docs];
    double total = 0;
    for (int d = 0; d < docs; d++) {
      w[d] = Math.exp(0.8 * gaussian(random));
      total += w[d];
    }
    List<Integer> out = new ArrayList<>();
    for (int d = 0; d < docs; d++) {
      long size = Math.max(5, Math.round(items * w[d] / total));
      for (int k = 0; k < size && out.size() < items; k++) {
        out.add(d);
      }
    }
    while (out.size() < items) {
      out.add(docs - 1);
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * How a simulated study is made.
   *
   * @param cluster each item's document
   * @param seedSd the spread of a seed's effect on an arm's success probability
   * @param heavyTails seed effects from Student's t with 3 degrees of freedom (a seed that goes its
   *     own way more often than a normal law allows), scaled to the same spread
   */
  record Design(String name, int[] cluster, double seedSd, boolean heavyTails) {}

  static final List<Design> DESIGNS =
      List.of(
          new Design("25 equal documents", EQUAL, SEED_SD, false),
          new Design("33 unequal documents", UNEQUAL, SEED_SD, false),
          new Design("33 unequal documents, seed sd 0.04", UNEQUAL, 2 * SEED_SD, false),
          new Design("33 unequal documents, heavy-tailed seeds", UNEQUAL, SEED_SD, true));

  /**
   * Coverage of the population truth, of the truth given the seeds, the rate of "MDM wins", and the
   * mean minimum detectable difference the studies stated.
   */
  record Coverage(double population, double givenSeeds, double positive, double detectable) {}

  static Coverage simulate(int seeds, double delta, double itemEffect, long seed) {
    return simulate(DESIGNS.get(0), seeds, delta, itemEffect, seed, STUDIES, false);
  }

  static Coverage simulate(
      Design design,
      int seeds,
      double delta,
      double itemEffect,
      long seed,
      int studies,
      boolean oldBootstrap) {
    return simulate(design, seeds, delta, itemEffect, seed, studies, oldBootstrap, false);
  }

  static Coverage simulate(
      Design design,
      int seeds,
      double delta,
      double itemEffect,
      long seed,
      int studies,
      boolean oldBootstrap,
      boolean withDetectable) {
    SplittableRandom random = new SplittableRandom(seed);
    int[] cluster = design.cluster();
    int n = cluster.length;
    int docs = Clustered.count(cluster);
    int population = 0;
    int conditional = 0;
    int positive = 0;
    double detectable = 0;
    for (int study = 0; study < studies; study++) {
      double[] docLevel = new double[docs];
      double[] docAr = new double[docs];
      double[] docMdm = new double[docs];
      for (int d = 0; d < docs; d++) {
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
        double ua = seedEffect(random, design);
        double um = seedEffect(random, design);
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
      if (withDetectable) {
        detectable += Clustered.detectable(differences, cluster, 0.95) / studies;
      }
    }
    return new Coverage(
        (double) population / studies,
        (double) conditional / studies,
        (double) positive / studies,
        detectable);
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
    Arrays.sort(boot);
    return new Estimate(
        value, boot[12], boot[487], 0.95, seeds.size(), seeds.get(0).length, 0, "old bootstrap");
  }

  private static double uniform(SplittableRandom random, double half) {
    return (2 * random.nextDouble() - 1) * half;
  }

  /** Normal, truncated at 3 sd so that probabilities stay inside [0, 1]. */
  private static double seedEffect(SplittableRandom random) {
    return seedEffect(random, DESIGNS.get(0));
  }

  /**
   * The design's seed effect: normal or t(3) scaled to unit variance, truncated at 3 sd (4 for
   * t(3)) so that probabilities stay inside [0, 1].
   */
  private static double seedEffect(SplittableRandom random, Design design) {
    double z;
    do {
      if (design.heavyTails()) {
        double chi = 0;
        for (int k = 0; k < 3; k++) {
          double g = gaussian(random);
          chi += g * g;
        }
        z = gaussian(random) / Math.sqrt(chi / 3) / Math.sqrt(3.0);
      } else {
        z = gaussian(random);
      }
    } while (Math.abs(z) > (design.heavyTails() ? 4 : 3));
    return z * design.seedSd();
  }

  private static double gaussian(SplittableRandom random) {
    return Math.sqrt(-2 * Math.log(1 - random.nextDouble()))
        * Math.cos(2 * Math.PI * random.nextDouble());
  }

  /**
   * The rule the report's findings follow: from {@link Clustered#OBJECTIVE_SEEDS} seeds on, the
   * interval covers the difference between the objectives (the population of seeds) in at least
   * 0.93 of studies, with equal and unequal documents and two sizes of item effect; with fewer it
   * does not in some design, so a finding on fewer seeds speaks of the models trained (whose
   * difference every seed count covers). The seed count is the smallest that passes.
   */
  /**
   * The rule the report's findings follow: from {@link Clustered#OBJECTIVE_SEEDS} seeds on, the
   * interval covers the difference between the objectives (the population of seeds) in at least
   * 0.93 of studies in every design (equal and unequal documents, a wider seed spread, heavy-tailed
   * seeds, two sizes of item effect); with one seed fewer it does not in some design, so a finding
   * on fewer seeds speaks of the models trained, whose difference every seed count covers.
   */
  @Test
  void claimsAboutObjectivesNeedTheSeedsTheRuleNames() {
    boolean belowFails = false;
    for (int seeds : new int[] {1, 2, 3, 5}) {
      for (Design design : DESIGNS) {
        for (double itemEffect : new double[] {0.05, 0.1}) {
          Coverage c = simulate(design, seeds, 0, itemEffect, 17 + seeds, STUDIES, false);
          System.out.printf(
              Locale.ROOT,
              "coverage, %d seed(s), %s, item effect %.2f: population %.3f, given the seeds"
                  + " drawn %.3f; false \"MDM wins\" %.3f%n",
              seeds,
              design.name(),
              itemEffect,
              c.population(),
              c.givenSeeds(),
              c.positive());
          // Every seed count covers the difference between the models trained.
          assertTrue(c.givenSeeds() >= 0.93, seeds + " seed(s), given the seeds: " + c);
          if (seeds >= Clustered.OBJECTIVE_SEEDS) {
            assertTrue(c.population() >= 0.93, seeds + " seed(s), " + design.name() + ": " + c);
            assertTrue(c.positive() <= 0.05, seeds + " seed(s): false positives " + c);
          } else if (seeds == Clustered.OBJECTIVE_SEEDS - 1 && c.population() < 0.93) {
            belowFails = true;
          }
        }
      }
    }
    assertTrue(
        belowFails,
        "one seed fewer than OBJECTIVE_SEEDS covers the population in every design: lower it");
  }

  /**
   * The minimum detectable difference a "not significant" finding states has the power it claims: a
   * true difference of that size is detected (interval above 0) in about 80% of studies. With one
   * seed the statement is about the models trained, so the check holds their difference fixed (no
   * seed effect).
   */
  @Test
  void theMinimumDetectableDifferenceHasItsPower() {
    for (int seeds : new int[] {1, 3, 5}) {
      for (Design base : DESIGNS.subList(0, 2)) {
        Design design = seeds == 1 ? new Design(base.name(), base.cluster(), 0, false) : base;
        double mde = simulate(design, seeds, 0, 0.05, 40 + seeds, 200, false, true).detectable();
        Coverage at = simulate(design, seeds, mde, 0.05, 60 + seeds, 600, false);
        System.out.printf(
            Locale.ROOT,
            "detectable difference, %d seed(s), %s: %.3f, detected in %.3f of studies (stated"
                + " power %.2f)%n",
            seeds,
            design.name(),
            mde,
            at.positive(),
            Clustered.POWER);
        assertTrue(
            at.positive() >= 0.72 && at.positive() <= 0.9,
            seeds + " seed(s): power at the stated detectable difference " + at.positive());
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
    Coverage old = simulate(DESIGNS.get(0), 3, 0, 0.05, 5, 300, true);
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
