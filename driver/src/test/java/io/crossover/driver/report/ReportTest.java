package io.crossover.driver.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import io.crossover.data.config.ConfigLoader;
import io.crossover.executor.eval.EvalRecord;
import io.crossover.executor.eval.McResult;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report's claims on synthetic runs with known answers: per-item outcomes drawn with known
 * probabilities, per-sequence losses with known means, over seeds.
 */
class ReportTest {
  @TempDir Path root;
  static final int ITEMS = 400;
  static final int SEQUENCES = 64;

  /**
   * A run directory: its config and one evaluation per entry of {@code p} (epochs 0..n-1), items
   * right with probability p[i], validation losses around loss[i].
   */
  void run(
      String name, String arm, String unique, long seed, double[] p, double[] loss, String... extra)
      throws Exception {
    Path dir = Files.createDirectories(root.resolve(name));
    List<String> overrides =
        new ArrayList<>(
            List.of(
                "objective.type=" + arm,
                "budget.unique-tokens=" + unique,
                "budget.total-tokens=64Ki",
                "run.seed=" + seed,
                "run.name=" + name));
    overrides.addAll(List.of(extra));
    Files.writeString(
        dir.resolve("config.json"), ConfigLoader.toJson(ConfigLoader.load(null, overrides)));
    long u = io.crossover.data.config.Counts.parse(unique);
    SplittableRandom random = new SplittableRandom(name.hashCode() * 31L + seed);
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < p.length; i++) {
      long tokens = i * 16384L;
      StringBuilder bits = new StringBuilder();
      int right = 0;
      for (int j = 0; j < ITEMS; j++) {
        boolean ok = random.nextDouble() < p[i];
        bits.append(ok ? '1' : '0');
        right += ok ? 1 : 0;
      }
      double acc = (double) right / ITEMS;
      double[] perSequence = new double[SEQUENCES];
      double sum = 0;
      for (int s = 0; s < SEQUENCES; s++) {
        perSequence[s] = loss[i] + 0.2 * (random.nextDouble() - 0.5);
        sum += perSequence[s];
      }
      McResult.ItemScores items =
          new McResult.ItemScores(
              bits.toString(),
              bits.toString(),
              bits.toString(),
              new float[ITEMS],
              new float[ITEMS],
              new float[ITEMS][4]);
      McResult m = new McResult(acc, acc, acc, 2.0, 2.5, -0.5, -0.1 * i, 1.2, 0, ITEMS, items);
      lines
          .append(
              Json.snakeLine(
                  new EvalRecord(
                      i * 4L,
                      (double) tokens / u,
                      tokens,
                      u,
                      sum / SEQUENCES,
                      arm.startsWith("ar") ? "nll" : "elbo",
                      Map.of("cloze", m),
                      1.0,
                      perSequence,
                      tokens * 1e6)))
          .append('\n');
    }
    Files.writeString(dir.resolve("evals.jsonl"), lines);
    Files.writeString(dir.resolve("metrics.jsonl"), "");
    Files.writeString(dir.resolve("DONE"), "");
  }

  @SuppressWarnings("unchecked")
  static double mean(Object stat) {
    return (double) ((Map<String, Object>) stat).get("mean");
  }

  static double[] flat(double v, int n) {
    double[] out = new double[n];
    java.util.Arrays.fill(out, v);
    return out;
  }

  Map<String, Object> only(String metric) {
    List<Map<String, Object>> rows =
        Report.read(root.toString(), new Configuration(), metric).summary();
    assertEquals(1, rows.size(), rows.toString());
    return rows.get(0);
  }

  @Test
  void aTrueCrossoverIsFoundWithItsIntervalOverSeeds() throws Exception {
    double[] loss = flat(2.0, 5);
    for (long seed = 1; seed <= 3; seed++) {
      run(
          "ar-u16Ki-s" + seed,
          "ar",
          "16Ki",
          seed,
          new double[] {0.25, 0.35, 0.35, 0.35, 0.35},
          loss);
      run(
          "mdm-u16Ki-s" + seed,
          "mdm",
          "16Ki",
          seed,
          new double[] {0.25, 0.30, 0.45, 0.55, 0.60},
          loss);
    }
    Map<String, Object> row = only("acc");
    assertEquals(3, row.get("seeds"));
    assertEquals(ITEMS, row.get("items"));
    assertEquals("mdm", row.get("verdict"));
    @SuppressWarnings("unchecked")
    Map<String, Object> d = (Map<String, Object>) row.get("difference");
    assertTrue((double) d.get("low") > 0.15 && (double) d.get("high") < 0.35, d.toString());
    @SuppressWarnings("unchecked")
    Map<String, Object> x = (Map<String, Object>) row.get("crossover");
    assertEquals(2.0, (double) x.get("epoch"), "MDM stays ahead from the third evaluation");
  }

  @Test
  void pureNoiseIsNoSignificantCrossoverAndTheIntervalsHaveTheirCoverage() throws Exception {
    run("ar-u16Ki", "ar", "16Ki", 1, flat(0.3, 4), flat(2.0, 4));
    run("mdm-u16Ki", "mdm", "16Ki", 1, flat(0.3, 4), flat(2.0, 4));
    Map<String, Object> row = only("acc");
    assertEquals("none", row.get("verdict"), row.toString());
    assertNull(row.get("crossover"));
    assertNull(row.get("data_potential"), "no potential without a significant lead");
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Report.write(root.toString(), new Configuration(), new PrintStream(console, true, "UTF-8"));
    assertTrue(console.toString(StandardCharsets.UTF_8).contains("no significant crossover"));
    // Coverage: over 300 pure-noise comparisons the 95% interval excludes 0 about 5% of the time.
    SplittableRandom random = new SplittableRandom(7);
    int significant = 0;
    int trials = 300;
    for (int t = 0; t < trials; t++) {
      double[] a = new double[200];
      double[] b = new double[200];
      for (int i = 0; i < 200; i++) {
        a[i] = random.nextDouble() < 0.3 ? 1 : 0;
        b[i] = random.nextDouble() < 0.3 ? 1 : 0;
      }
      Intervals.Difference d = Intervals.paired(List.of(a), List.of(b), t);
      significant += d.positive() || d.negative() ? 1 : 0;
    }
    assertTrue(
        significant >= 5 && significant <= 30, significant + " of " + trials + " significant");
  }

  @Test
  void aSignificantArWinIsReportedAsSuch() throws Exception {
    run("ar-u64Ki", "ar", "64Ki", 1, new double[] {0.25, 0.45, 0.55}, flat(2.0, 3));
    run("mdm-u64Ki", "mdm", "64Ki", 1, new double[] {0.25, 0.30, 0.32}, flat(2.0, 3));
    Map<String, Object> row = only("acc");
    assertEquals("ar", row.get("verdict"));
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Report.write(root.toString(), new Configuration(), new PrintStream(console, true, "UTF-8"));
    assertTrue(console.toString(StandardCharsets.UTF_8).contains("AR wins (significant)"));
  }

  @Test
  void theLikelihoodClaimsTellBeatingAnOverfitArFromBeatingArWithEarlyStopping() throws Exception {
    double[] acc = flat(0.3, 5);
    // AR overfits: NLL 2.0 at epoch 1, then 3.0; MDM's ELBO ends at 2.5.
    run("ar-u16Ki", "ar", "16Ki", 1, acc, new double[] {5.0, 2.0, 2.3, 2.6, 3.0});
    run("mdm-u16Ki", "mdm", "16Ki", 1, acc, new double[] {5.0, 3.0, 2.7, 2.5, 2.5});
    Map<String, Object> row = only("acc");
    @SuppressWarnings("unchecked")
    Map<String, Object> weak = (Map<String, Object>) row.get("likelihood_weak");
    @SuppressWarnings("unchecked")
    Map<String, Object> strong = (Map<String, Object>) row.get("likelihood_strong");
    assertEquals("yes", weak.get("holds"), "2.5 is below AR's final 3.0: " + weak);
    assertEquals(-0.5, (double) weak.get("value"), 0.05);
    assertEquals("no", strong.get("holds"), "2.5 is above AR's best 2.0: " + strong);
    assertEquals(1.0, (double) row.get("ar_best_val_nll_epoch"));
  }

  @Test
  void theDataPotentialIsComputedOnlyBetweenSignificantPointsWithAnInterval() throws Exception {
    // AR's final accuracy rises with unique data (0.30, 0.40, 0.60); at 16Ki MDM ends at 0.50,
    // significantly above AR's 0.30. AR reaches 0.50 halfway (in log U) between 32Ki and 64Ki.
    double[] loss = flat(2.0, 3);
    run("ar-u16Ki", "ar", "16Ki", 1, new double[] {0.25, 0.3, 0.30}, loss);
    run("mdm-u16Ki", "mdm", "16Ki", 1, new double[] {0.25, 0.4, 0.50}, loss);
    run("ar-u32Ki", "ar", "32Ki", 1, new double[] {0.25, 0.4, 0.40}, loss);
    run("mdm-u32Ki", "mdm", "32Ki", 1, new double[] {0.25, 0.4, 0.40}, loss);
    run("ar-u64Ki", "ar", "64Ki", 1, new double[] {0.25, 0.5, 0.60}, loss);
    run("mdm-u64Ki", "mdm", "64Ki", 1, new double[] {0.25, 0.4, 0.45}, loss);
    List<Map<String, Object>> rows =
        Report.read(root.toString(), new Configuration(), "acc").summary();
    @SuppressWarnings("unchecked")
    Map<String, Object> p = (Map<String, Object>) rows.get(0).get("data_potential");
    assertNotNull(p, rows.get(0).toString());
    assertEquals("=", p.get("bound"));
    // Log-linear between the sampled finals: 2^(1 + (mdm16 - ar32) / (ar64 - ar32)), about 2^1.5.
    double mdm16 = mean(rows.get(0).get("mdm"));
    double ar32 = mean(rows.get(1).get("ar"));
    double ar64 = mean(rows.get(2).get("ar"));
    assertEquals(Math.pow(2, 1 + (mdm16 - ar32) / (ar64 - ar32)), (double) p.get("ratio"), 1e-9);
    assertTrue(
        (double) p.get("low") < (double) p.get("ratio")
            && (double) p.get("ratio") < (double) p.get("high"),
        p.toString());
    assertNull(rows.get(2).get("data_potential"), "AR wins at 64Ki: no potential there");
  }

  @Test
  void armsPairWithTheirMdmTwinAndTheFilesCarryTheIntervals() throws Exception {
    double[] loss = flat(2.0, 3);
    run("ar-u16Ki", "ar", "16Ki", 1, new double[] {0.25, 0.30, 0.31}, loss);
    run("ar-mask0.15-u16Ki", "ar+mask0.15", "16Ki", 1, new double[] {0.25, 0.32, 0.33}, loss);
    run("mdm-u16Ki", "mdm", "16Ki", 1, new double[] {0.25, 0.30, 0.34}, loss);
    run("ar-u32Ki", "ar", "32Ki", 1, new double[] {0.25, 0.30, 0.33}, loss);
    run("mdm-u32Ki", "mdm", "32Ki", 1, new double[] {0.25, 0.30, 0.32}, loss, "optim.lr=1e-3");
    run("mdm-lonely", "mdm", "16Ki", 9, new double[] {0.25}, new double[] {2.0});
    Files.createDirectories(root.resolve("ar-planned"));
    Files.writeString(
        root.resolve("ar-planned").resolve("config.json"),
        ConfigLoader.toJson(ConfigLoader.load(null, List.of("run.name=ar-planned"))));

    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Report.write(root.toString(), new Configuration(), new PrintStream(console, true, "UTF-8"));
    String table = console.toString(StandardCharsets.UTF_8);
    Report report = Report.read(root.toString(), new Configuration(), "acc");
    List<String> arms = report.comparisons().stream().map(c -> c.row().arm()).toList();
    assertEquals(List.of("ar", "ar+mask0.15", "ar"), arms, table);
    assertTrue(table.contains("unmatched ar-u32Ki / mdm-u32Ki: optim.lr"), table);
    assertTrue(table.contains("no partner for mdm-lonely"), table);
    assertTrue(
        table.contains("not compared: ar-planned (made by `crossover plan`, never trained)"),
        table);

    JsonNode json = Json.MAPPER.readTree(root.resolve("report.json").toFile());
    assertEquals(3, json.path("rows").size());
    JsonNode first = json.path("rows").get(0);
    assertEquals("ar", first.path("arm").asText());
    assertTrue(first.path("difference").has("low") && first.path("difference").has("high"));
    assertEquals(1, first.path("ar").path("n").asInt());
    assertTrue(first.has("likelihood_weak") && first.has("likelihood_strong"));
    String html = Files.readString(root.resolve("report.html"));
    assertTrue(html.contains("MDM-AR [95% CI]") && html.contains("report.json"), html);
    for (String png : List.of("figure-a.png", "delta-nll.png", "by-budget.png")) {
      BufferedImage image = ImageIO.read(root.resolve(png).toFile());
      assertNotNull(image, png);
    }
    // Figure A: one row per comparison x (metric, difference, validation, compute).
    BufferedImage a = ImageIO.read(root.resolve("figure-a.png").toFile());
    assertEquals(4 * Figures.PANEL_W, a.getWidth());
    assertEquals(3 * Figures.PANEL_H, a.getHeight());
    // By budget: only "mini, ar" was run at two budgets; a one-point panel is no curve.
    BufferedImage budgets = ImageIO.read(root.resolve("by-budget.png").toFile());
    assertEquals(Figures.PANEL_W, budgets.getWidth());
  }

  @Test
  void oldRecordsWithoutItemsStillReportWithoutIntervals() throws Exception {
    Path dir = Files.createDirectories(root.resolve("ar-u16Ki"));
    Path mdm = Files.createDirectories(root.resolve("mdm-u16Ki"));
    for (Path d : List.of(dir, mdm)) {
      String arm = d.getFileName().toString().substring(0, d.getFileName().toString().indexOf('-'));
      Files.writeString(
          d.resolve("config.json"),
          ConfigLoader.toJson(
              ConfigLoader.load(
                  null,
                  List.of(
                      "objective.type=" + arm,
                      "budget.unique-tokens=16Ki",
                      "budget.total-tokens=64Ki"))));
      Files.writeString(
          d.resolve("evals.jsonl"),
          "{\"step\":0,\"epoch\":0.0,\"tokens_seen\":0,\"unique_tokens\":16384,\"val_loss\":2.0,"
              + "\"val_loss_kind\":\"nll\",\"tasks\":{\"cloze\":{\"acc\":0.3,\"acc_norm\":0.3,"
              + "\"acc_mi\":0.3,\"nll_correct\":2,\"nll_wrong\":2,\"delta_nll\":0,\"items\":10}},"
              + "\"seconds\":1.0}\n");
      Files.writeString(d.resolve("metrics.jsonl"), "");
    }
    Map<String, Object> row = only("acc");
    assertEquals("none", row.get("verdict"));
    assertNull(row.get("difference"));
  }
}
