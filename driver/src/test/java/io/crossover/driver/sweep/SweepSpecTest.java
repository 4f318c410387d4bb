package io.crossover.driver.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.crossover.data.config.ConfigException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sweep files: the grid they expand to, and the ones refused before anything runs. */
class SweepSpecTest {
  static SweepSpec parse(String hocon) {
    return SweepSpec.parse(ConfigFactory.parseString(hocon), "test.conf");
  }

  static final String GRID =
      """
      name = "g"
      base = "quickstart"
      root = "/tmp/sweeps"
      set {
        "budget.total-tokens" = 4Mi
        eval { min-points = 3 }
      }
      axes {
        "objective.type" = [ar, mdm]
        "budget.unique-tokens" = [64Ki, 1Mi]
        run.seed = [1, 2]
      }
      """;

  @Test
  void theGridIsTheProductOfTheAxesInFileOrder() {
    SweepSpec spec = parse(GRID);
    assertEquals(List.of("budget.total-tokens=4Mi", "eval.min-points=3"), spec.set());
    List<Sweep.Point> points = Sweep.expand(spec, List.of("train.log-every=7"));
    assertEquals(8, points.size());
    assertEquals("ar-u64Ki-s1", points.get(0).name());
    assertEquals("ar-u64Ki-s2", points.get(1).name());
    assertEquals("mdm-u1Mi-s2", points.get(7).name());
    Sweep.Point last = points.get(7);
    assertEquals(1 << 20, last.config().budget().uniqueTokens());
    assertEquals(4 << 20, last.config().budget().totalTokens());
    assertEquals(2, last.config().run().seed());
    assertEquals(7, last.config().train().logEvery());
    assertEquals(3, last.config().eval().minPoints());
    assertEquals("/tmp/sweeps/g", last.config().run().root());
    assertEquals("mdm-u1Mi-s2", last.config().run().name());
    // AR and MDM twins differ only in the objective and the name.
    assertEquals(
        points.get(0).config().budget(), points.get(4).config().budget(), "matched budgets");
    assertEquals(points.get(0).config().optim(), points.get(4).config().optim());
  }

  @Test
  void gridsAddTheirProductsAndArmsAreNamedForDirectories() {
    SweepSpec spec =
        parse(
            GRID
                + """
                grids = [
                  { "objective.type" = ["ar+mask0.15"], "budget.unique-tokens" = [64Ki], run.seed = [1, 2] }
                  { "model.preset" = [mini], "objective.type" = [ar, mdm], "budget.unique-tokens" = [64Ki] }
                  { "objective.type" = [ar], "budget.unique-tokens" = [64Ki], run.seed = [1] }
                ]
                """);
    List<Sweep.Point> points = Sweep.expand(spec, List.of());
    List<String> names = points.stream().map(Sweep.Point::name).toList();
    assertEquals(8 + 2 + 2, points.size(), "the last grid's run is already in the first: " + names);
    assertEquals("ar-mask0.15-u64Ki-s1", points.get(8).name());
    assertEquals(0.15, points.get(8).config().objective().arInputMask(), 1e-12);
    assertEquals("ar", points.get(8).config().objective().type().name().toLowerCase());
    assertEquals("mdm-mini-u64Ki", points.get(11).name());
    assertEquals("mini", points.get(11).config().model().preset());
  }

  @Test
  void perObjectiveSettingsAreRefusedUnlessAllowed() {
    String unmatched = GRID + "per-objective { mdm { \"optim.lr\" = 1e-3 } }\n";
    ConfigException e = assertThrows(ConfigException.class, () -> parse(unmatched));
    assertTrue(
        e.getMessage().contains("per-objective") && e.getMessage().contains("allow-unmatched"));
    SweepSpec allowed = parse(unmatched + "allow-unmatched = true\n");
    List<Sweep.Point> points = Sweep.expand(allowed, List.of());
    assertEquals(1e-3, points.get(4).config().optim().lr(), 1e-12);
    assertEquals(3e-3, points.get(0).config().optim().lr(), 1e-12, "AR keeps the base config's");
  }

  @Test
  void badSweepFilesNameTheKey() {
    assertMessage(
        "name = g\nbase = quickstart\naxes { \"budget.unique-tokens\" = [1Mi] }",
        "axes.objective.type is missing: every grid names its objectives");
    assertMessage(
        "name = g\nbase = quickstart\naxes { \"objective.type\" = [ar, \"ar+mask0.15\"] }",
        "axes.objective.type must list an AR arm and mdm");
    assertMessage(
        "name = g\nbase = quickstart\naxes { \"objective.type\" = [ar, mdm, \"ar+noise0.1\"] }",
        "axes.objective.type value ar+noise0.1: config key 'objective.type': value \"ar+noise0.1\":"
            + " \"+noise0.1\" is not a control");
    assertMessage(GRID + "paralel = 2\n", "paralel is not a sweep setting");
    assertMessage(GRID + "metric = f1\n", "metric \"f1\" is not one of acc, acc_norm, acc_mi");
    assertMessage(
        GRID + "margin = 2\n",
        "margin 2.0 is not in (0, 1): the equivalence margin is a share of items, e.g. 0.02");
    assertMessage(
        GRID.replace("run.seed = [1, 2]", "run.seed = 3"), "axes.run.seed must be a list");
    assertMessage(
        GRID.replace("set {", "set { \"budget.unique-tokens\" = 1Mi,"),
        "set.budget.unique-tokens is also an axis");
  }

  @Test
  void aBadValueNamesTheRunAndTheKeyBeforeAnythingRuns() {
    SweepSpec spec = parse(GRID.replace("[64Ki, 1Mi]", "[64Ki, 1000]"));
    ConfigException e = assertThrows(ConfigException.class, () -> Sweep.expand(spec, List.of()));
    assertTrue(e.getMessage().contains("run ar-u1k-s1"), e.getMessage());
    assertTrue(e.getMessage().contains("budget.unique-tokens"), e.getMessage());
    assertTrue(e.getMessage().contains("nearest valid"), e.getMessage());
  }

  @Test
  void theShippedSweepsExpand() {
    List<Sweep.Point> toy = Sweep.expand(SweepSpec.load("toy"), List.of());
    // 2 arms x 2 budgets x 5 seeds, 2 x 2 x 1, the masking arm, tiny's pair.
    assertEquals(
        20 + 4 + 1 + 2, toy.size(), toy.stream().map(Sweep.Point::name).toList().toString());
    assertEquals("acc_mi", SweepSpec.load("toy").metric());
    assertEquals("acc", parse(GRID).metric());
    assertEquals(0.02, parse(GRID).margin(), "the report's default equivalence margin");
    assertEquals(0.05, parse(GRID + "margin = 0.05\n").report().margin());
    assertEquals(4, Sweep.expand(SweepSpec.load("quickstart"), List.of()).size());
    List<Sweep.Point> paper = Sweep.expand(SweepSpec.load("paper-1b"), List.of());
    assertEquals(10, paper.size());
    assertEquals("1b", paper.get(0).config().model().preset());
    assertEquals(
        192.0,
        (double) paper.get(0).config().budget().totalTokens()
            / paper.get(0).config().budget().uniqueTokens(),
        0.01);
  }

  static void assertMessage(String hocon, String expected) {
    ConfigException e = assertThrows(ConfigException.class, () -> parse(hocon));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
