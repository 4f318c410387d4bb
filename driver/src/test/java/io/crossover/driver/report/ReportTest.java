package io.crossover.driver.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import io.crossover.data.Sha256;
import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.Counts;
import io.crossover.data.stats.Clustered;
import io.crossover.data.stats.DataLaw;
import io.crossover.driver.report.render.Figures;
import io.crossover.driver.report.render.ReportFiles;
import io.crossover.executor.eval.EvalRecord;
import io.crossover.executor.eval.McResult;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

  /** Whether an evaluation with the same probability as the one before repeats its outcomes. */
  boolean sticky;

  /**
   * A run directory: its config and one evaluation per entry of {@code p} (epochs 0..n-1), items
   * right with probability p[i], validation losses around loss[i].
   */
  void run(
      String name, String arm, String unique, long seed, double[] p, double[] loss, String... extra)
      throws Exception {
    run(name, arm, unique, seed, p, loss, "task-sha", false, name.hashCode() * 31L + seed, extra);
  }

  /**
   * As above, with the task file's SHA-256 as recorded, when {@code reversed} the items scored in
   * the opposite order (the same ids), and the seed of the outcomes' draws.
   */
  void run(
      String name,
      String arm,
      String unique,
      long seed,
      double[] p,
      double[] loss,
      String sha,
      boolean reversed,
      long outcomes,
      String... extra)
      throws Exception {
    Path dir = Files.createDirectories(root.resolve(name));
    List<String> overrides =
        new ArrayList<>(
            List.of(
                "objective.type=" + arm,
                "budget.unique-tokens=" + unique,
                "run.seed=" + seed,
                "run.name=" + name));
    overrides.addAll(List.of(extra));
    if (overrides.stream().noneMatch(o -> o.startsWith("budget.total-tokens="))) {
      overrides.add("budget.total-tokens=64Ki");
    }
    Files.writeString(
        dir.resolve("config.json"), ConfigLoader.toJson(ConfigLoader.load(null, overrides)));
    long u = Counts.parse(unique);
    SplittableRandom random = new SplittableRandom(outcomes);
    StringBuilder lines = new StringBuilder();
    String previous = "";
    for (int i = 0; i < p.length; i++) {
      long tokens = i * 16384L;
      StringBuilder bits = new StringBuilder();
      int right = 0;
      for (int j = 0; j < ITEMS; j++) {
        boolean ok =
            sticky && i > 0 && p[i] == p[i - 1]
                ? previous.charAt(j) == '1'
                : random.nextDouble() < p[i];
        bits.append(ok ? '1' : '0');
        right += ok ? 1 : 0;
      }
      previous = bits.toString();
      double acc = (double) right / ITEMS;
      double[] perSequence = new double[SEQUENCES];
      double sum = 0;
      for (int s = 0; s < SEQUENCES; s++) {
        perSequence[s] = loss[i] + 0.2 * (random.nextDouble() - 0.5);
        sum += perSequence[s];
      }
      List<String> ids = new ArrayList<>();
      List<String> docs = new ArrayList<>();
      for (int j = 0; j < ITEMS; j++) {
        ids.add("item-" + j);
        docs.add("doc-" + j / 10);
      }
      String scored = bits.toString();
      if (reversed) {
        scored = bits.reverse().toString();
        Collections.reverse(ids);
        Collections.reverse(docs);
      }
      McResult.ItemScores items =
          new McResult.ItemScores(
              scored,
              scored,
              scored,
              new float[ITEMS],
              new float[ITEMS],
              new float[ITEMS][4],
              ids,
              docs);
      McResult m = new McResult(acc, acc, acc, 2.0, 2.5, -0.5, -0.1 * i, 1.2, 0, ITEMS, items, sha);
      int[] valDocs = new int[SEQUENCES];
      for (int q = 0; q < SEQUENCES; q++) {
        valDocs[q] = q / 4;
      }
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
                      tokens * 1e6,
                      valDocs,
                      arm.startsWith("ar") ? "exact log-likelihood (causal)" : "sampled")))
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
    Arrays.fill(out, v);
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
    // 0.25 apart; 3 seeds: the seeds' spread at t with 2 degrees of freedom.
    assertTrue((double) d.get("low") > 0.1 && (double) d.get("high") < 0.4, d.toString());
    assertEquals(40, row.get("documents"), "items resampled by their 40 documents");
    @SuppressWarnings("unchecked")
    Map<String, Object> x = (Map<String, Object>) row.get("crossover");
    assertEquals(2.0, (double) x.get("epoch"), "MDM stays ahead from the third evaluation");
  }

  @Test
  void pureNoiseIsNoSignificantCrossoverAndTheIntervalsHaveTheirCoverage() throws Exception {
    // Both arms well above chance: the task sees them, and they do not differ.
    run("ar-u16Ki", "ar", "16Ki", 1, flat(0.5, 4), flat(2.0, 4));
    run("mdm-u16Ki", "mdm", "16Ki", 1, flat(0.5, 4), flat(2.0, 4));
    Map<String, Object> row = only("acc");
    assertEquals("none", row.get("verdict"), row.toString());
    assertNull(row.get("crossover"));
    assertNull(row.get("data_potential"), "no potential without a significant lead");
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    ReportFiles.write(
        root.toString(), new Configuration(), new PrintStream(console, true, "UTF-8"));
    assertTrue(console.toString(StandardCharsets.UTF_8).contains("no significant crossover"));
    // The interval's coverage is checked by simulation in IntervalCoverageTest.
  }

  @Test
  void aSignificantArWinIsReportedAsSuch() throws Exception {
    run("ar-u64Ki", "ar", "64Ki", 1, new double[] {0.25, 0.45, 0.55}, flat(2.0, 3));
    run("mdm-u64Ki", "mdm", "64Ki", 1, new double[] {0.25, 0.30, 0.32}, flat(2.0, 3));
    Map<String, Object> row = only("acc");
    assertEquals("ar", row.get("verdict"));
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    ReportFiles.write(
        root.toString(), new Configuration(), new PrintStream(console, true, "UTF-8"));
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
    assertEquals(1.0, (double) row.get("ar_best_epoch"));
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
    ReportFiles.write(
        root.toString(), new Configuration(), new PrintStream(console, true, "UTF-8"));
    String table = console.toString(StandardCharsets.UTF_8);
    Report report = Report.read(root.toString(), new Configuration(), "acc");
    List<String> arms = report.comparisons().stream().map(c -> c.row().arm()).toList();
    assertEquals(List.of("ar", "ar+mask0.15", "ar"), arms, table);
    assertTrue(table.contains("no claim for ar-u32Ki / mdm-u32Ki: the runs differ"), table);
    assertTrue(table.contains("optim.lr: 2.0E-4 vs 0.001"), table);
    assertTrue(table.contains("no partner for mdm-lonely"), table);
    assertTrue(
        table.contains(
            "not compared: ar-planned (never trained: made by `crossover plan`, or its training failed before its first step)"),
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
    // Figure A: one row per comparison x (metric, difference, validation).
    BufferedImage a = ImageIO.read(root.resolve("figure-a.png").toFile());
    assertEquals(3 * Figures.PANEL_W, a.getWidth());
    assertEquals(3 * Figures.PANEL_H, a.getHeight());
    // By budget: only "mini, ar" was run at two budgets; a one-point panel is no curve.
    BufferedImage budgets = ImageIO.read(root.resolve("by-budget.png").toFile());
    assertEquals(Figures.PANEL_W, budgets.getWidth());
  }

  @Test
  void anUnfinishedRunIsNamedAndNeverReadAsTheEndOfTraining() throws Exception {
    double[] loss = flat(2.0, 3);
    run("ar-u16Ki", "ar", "16Ki", 1, new double[] {0.25, 0.30, 0.31}, loss);
    // Killed after its step-0 evaluation: no DONE.
    run("mdm-u16Ki", "mdm", "16Ki", 1, new double[] {0.25}, new double[] {2.0});
    Files.delete(root.resolve("mdm-u16Ki").resolve("DONE"));

    ByteArrayOutputStream console = new ByteArrayOutputStream();
    ReportFiles.write(
        root.toString(), new Configuration(), new PrintStream(console, true, "UTF-8"));
    String table = console.toString(StandardCharsets.UTF_8);
    Report report = Report.read(root.toString(), new Configuration(), "acc");
    assertEquals(List.of(), report.comparisons(), table);
    assertTrue(
        table.contains(
            "not compared: mdm-u16Ki (unfinished (no DONE): last evaluated at step 0 of "),
        table);
    assertTrue(table.contains("no partner for ar-u16Ki"), table);
    assertTrue(!table.contains("at the end of training is"), table);
    JsonNode json = Json.MAPPER.readTree(root.resolve("report.json").toFile());
    assertEquals("mdm-u16Ki", json.path("not_compared").get(0).path("run").asText());
  }

  @Test
  void aReportMadeAgainKeepsTheSettingsItWasMadeWith() throws Exception {
    assertEquals(
        Report.Settings.of("acc"), Report.Settings.saved(root.toString(), new Configuration()));
    run("ar-u16Ki", "ar", "16Ki", 1, flat(0.5, 3), flat(2.0, 3));
    run("mdm-u16Ki", "mdm", "16Ki", 1, flat(0.5, 3), flat(2.0, 3));
    Report.Settings sweep = new Report.Settings("acc_mi", 0.05);
    ReportFiles.write(
        root.toString(),
        new Configuration(),
        new PrintStream(new ByteArrayOutputStream(), true, "UTF-8"),
        sweep);
    assertEquals(sweep, Report.Settings.saved(root.toString(), new Configuration()));
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
      Files.writeString(d.resolve("DONE"), "");
    }
    Map<String, Object> row = only("acc");
    assertEquals("none", row.get("verdict"));
    assertNull(row.get("difference"));
    assertTrue(
        String.valueOf(row.get("no_claim")).contains("recorded no item ids"), row.toString());
  }

  @Test
  void itemsArePairedByIdNotByPosition() throws Exception {
    double[] p = {0.5, 0.5};
    double[] loss = flat(2.0, 2);
    // The same outcome on every item id for both arms, the MDM run's items in reverse order.
    run("ar-u16Ki", "ar", "16Ki", 1, p, loss, "task-sha", false, 42);
    run("mdm-u16Ki", "mdm", "16Ki", 1, p, loss, "task-sha", true, 42);
    @SuppressWarnings("unchecked")
    Map<String, Object> d = (Map<String, Object>) only("acc").get("difference");
    assertEquals(0.0, (double) d.get("value"), 1e-12, "paired by position it would not be 0");
    assertEquals(0.0, (double) d.get("high") - (double) d.get("low"), 1e-12);
  }

  @Test
  void aRebuiltTaskFileOrSettingsThatDifferInAnySeedPairMakeNoClaim() throws Exception {
    double[] loss = flat(2.0, 3);
    double[] low = {0.25, 0.3, 0.3};
    double[] high = {0.25, 0.6, 0.7};
    run("ar-u16Ki-s1", "ar", "16Ki", 1, low, loss);
    run("mdm-u16Ki-s1", "mdm", "16Ki", 1, high, loss);
    run("ar-u16Ki-s2", "ar", "16Ki", 2, low, loss);
    // Seed 2's MDM scored a rebuilt task file of the same length.
    run("mdm-u16Ki-s2", "mdm", "16Ki", 2, high, loss, "rebuilt-sha", false, 5);
    Map<String, Object> row = only("acc");
    assertEquals("none", row.get("verdict"), "a large lead, but no claim");
    assertTrue(String.valueOf(row.get("no_claim")).contains("another cloze file"), row.toString());
    for (String f : List.of("ar-u16Ki-s1", "ar-u16Ki-s2", "mdm-u16Ki-s1", "mdm-u16Ki-s2")) {
      deleteRun(f);
    }
    run("ar-u16Ki-s1", "ar", "16Ki", 1, low, loss);
    run("mdm-u16Ki-s1", "mdm", "16Ki", 1, high, loss);
    run("ar-u16Ki-s2", "ar", "16Ki", 2, low, loss);
    run("mdm-u16Ki-s2", "mdm", "16Ki", 2, high, loss, "optim.warmup-steps=7");
    row = only("acc");
    assertEquals("none", row.get("verdict"));
    assertTrue(
        String.valueOf(row.get("no_claim"))
            .contains("ar-u16Ki-s1 / mdm-u16Ki-s2: optim.warmup-steps"),
        row.toString());
  }

  void deleteRun(String name) throws Exception {
    try (var files = Files.walk(root.resolve(name))) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  /**
   * Plentiful data (1 epoch): AR clearly ahead. Scarce (4 epochs): MDM clearly ahead; AR's loss
   * rises from its best (epoch 1) while its score is the same on every item at every evaluation;
   * MDM's ELBO ends below AR's final NLL but above its best. {@code seeds} seeds of each.
   */
  void clearStudy(int seeds) throws Exception {
    sticky = true;
    for (int s = 1; s <= seeds; s++) {
      run(
          "ar-u64Ki-s" + s,
          "ar",
          "64Ki",
          s,
          new double[] {0.25, 0.6, 0.7},
          new double[] {5, 2.5, 2.0});
      run(
          "mdm-u64Ki-s" + s,
          "mdm",
          "64Ki",
          s,
          new double[] {0.25, 0.3, 0.4},
          new double[] {5, 3, 2.8});
      run(
          "ar-u16Ki-s" + s,
          "ar",
          "16Ki",
          s,
          new double[] {0.25, 0.6, 0.6, 0.6, 0.6},
          new double[] {5.0, 2.0, 2.3, 2.6, 3.0});
      run(
          "mdm-u16Ki-s" + s,
          "mdm",
          "16Ki",
          s,
          new double[] {0.25, 0.5, 0.7, 0.85, 0.95},
          new double[] {5.0, 3.0, 2.7, 2.5, 2.5});
    }
  }

  Map<String, JsonNode> findings(ByteArrayOutputStream console) throws Exception {
    ReportFiles.write(
        root.toString(), new Configuration(), new PrintStream(console, true, "UTF-8"));
    JsonNode json = Json.MAPPER.readTree(root.resolve("report.json").toFile());
    Map<String, JsonNode> out = new LinkedHashMap<>();
    json.path("findings").forEach(f -> out.put(f.path("id").asText(), f));
    return out;
  }

  static String status(Map<String, JsonNode> findings, String id) {
    return findings.get(id).path("status").asText();
  }

  @Test
  void findingsAreDecidedByRuleAndWrittenFirst() throws Exception {
    // Three seeds: two are enough to speak of the objectives, but t at 1 degree of freedom (12.7)
    // leaves even these differences inside their intervals.
    clearStudy(3);
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Map<String, JsonNode> f = findings(console);
    assertEquals("reproduced", status(f, "downstream_crossover"), f.toString());
    assertEquals("reproduced", status(f, "ar_wins_plentiful_data"));
    assertEquals("reproduced", status(f, "ar_loss_rises_score_holds"), f.toString());
    assertEquals("reproduced", status(f, "mdm_below_overfit_ar"));
    assertEquals("not reproduced", status(f, "mdm_below_early_stopped_ar"), "2.5 is above 2.0");
    assertEquals("not tested", status(f, "larger_model_gains_more"));
    assertEquals("not tested", status(f, "ar_controls"));
    // Two budgets of synthetic curves whose ELBO falls to the end: R* runs to its bound.
    assertEquals("not identified", status(f, "half_life_ratio"));
    assertTrue(
        f.get("half_life_ratio").path("text").asText().contains("so no ratio is claimed"),
        f.get("half_life_ratio").toString());
    assertEquals(9, f.size());
    String text = console.toString(StandardCharsets.UTF_8);
    String last = text.substring(text.indexOf("Findings"));
    assertTrue(
        last.contains(
            "Downstream crossover under repetition: reproduced. At 16Ki unique tokens (4 epochs;"
                + " tiny, 3 seeds; 400 items from 40 documents), MDM - AR acc"),
        last);
    assertTrue(
        last.contains("within the equivalence margin ±0.020 (two one-sided tests at 5%)"), last);
    String html = Files.readString(root.resolve("report.html"));
    assertTrue(html.indexOf("Findings") < html.indexOf("Comparisons"), "findings come first");
    for (Status status : Status.values()) {
      assertTrue(html.contains(status.meaning()), "what " + status.label() + " means");
    }
    // Captions say what the numbers say: the synthetic runs' delta-NLL never moves.
    assertTrue(
        html.contains("At 16Ki unique tokens (tiny, ar), AR's validation NLL rises by"), html);
    assertTrue(html.contains("+0.0000 [+0.0000, +0.0000]: no significant change"), html);
    assertTrue(html.contains("both on the 400 items every evaluation scored"), html);
    JsonNode rows = Json.MAPPER.readTree(root.resolve("report.json").toFile()).path("rows");
    assertEquals(Clustered.METHOD, rows.get(0).path("interval_method").asText());
  }

  /**
   * Runs whose validation curves follow known data-reuse laws (AR's half-life 3 epochs, MDM's 80)
   * at three budgets, two seeds each: the report fits both and reproduces the ratio above 1.
   */
  @Test
  void theHalfLifeRatioIsReadFromTheFittedLaws() throws Exception {
    DataLaw ar = new DataLaw(1.5, 0.3, 0.4, 3);
    DataLaw mdm = new DataLaw(1.6, 0.5, 0.35, 80);
    int evals = 17;
    for (int s = 1; s <= 2; s++) {
      for (String unique : List.of("4Ki", "16Ki", "64Ki")) {
        for (String arm : List.of("ar", "mdm")) {
          DataLaw law = arm.equals("ar") ? ar : mdm;
          double[] loss = new double[evals];
          for (int i = 0; i < evals; i++) {
            loss[i] = i == 0 ? 5.5 : law.loss(Counts.parse(unique), i * 16384.0) + 0.003 * s;
          }
          run(
              arm + "-u" + unique + "-s" + s,
              arm,
              unique,
              s,
              flat(0.5, evals),
              loss,
              "budget.total-tokens=256Ki");
        }
      }
    }
    Map<String, JsonNode> f = findings(new ByteArrayOutputStream());
    JsonNode ratio = f.get("half_life_ratio");
    assertEquals("reproduced", ratio.path("status").asText(), ratio.toString());
    assertTrue(ratio.path("evidence").path("low").asDouble() > 1, ratio.toString());
    JsonNode law = Json.MAPPER.readTree(root.resolve("report.json").toFile()).path("reuse_law");
    assertTrue(law.path("ar").path("identified").asBoolean(), law.toString());
    assertTrue(Files.size(root.resolve("reuse-law.png")) > 0);
  }

  @Test
  void oneSeedSpeaksOfTheModelsTrainedNotTheObjectives() throws Exception {
    clearStudy(1);
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Map<String, JsonNode> f = findings(console);
    assertEquals("seen in these runs", status(f, "downstream_crossover"), f.toString());
    assertEquals("seen in these runs", status(f, "ar_wins_plentiful_data"));
    assertEquals("seen in these runs", status(f, "mdm_below_overfit_ar"));
    assertTrue(
        f.get("downstream_crossover")
            .path("text")
            .asText()
            .contains("(4 epochs; tiny, 1 seed: the models trained, not the objectives;"),
        f.toString());
    JsonNode rows = Json.MAPPER.readTree(root.resolve("report.json").toFile()).path("rows");
    assertEquals(Clustered.ONE_SEED, rows.get(0).path("interval_method").asText());
  }

  @Test
  void anArmAtChanceMakesTheComparisonNotMeasurable() throws Exception {
    // Scarce: both arms guess. Plentiful: AR learns, MDM guesses, and AR's lead is clear.
    double[] loss = flat(2.0, 3);
    for (int s = 1; s <= 2; s++) {
      run("ar-u16Ki-s" + s, "ar", "16Ki", s, new double[] {0.25, 0.25, 0.25}, loss);
      run("mdm-u16Ki-s" + s, "mdm", "16Ki", s, new double[] {0.25, 0.25, 0.25}, loss);
      run("ar-u64Ki-s" + s, "ar", "64Ki", s, new double[] {0.25, 0.5, 0.6}, loss);
      run("mdm-u64Ki-s" + s, "mdm", "64Ki", s, new double[] {0.25, 0.25, 0.25}, loss);
    }
    Map<String, JsonNode> f = findings(new ByteArrayOutputStream());
    assertEquals("not measurable", status(f, "downstream_crossover"), f.toString());
    String text = f.get("downstream_crossover").path("text").asText();
    assertTrue(text.contains("neither above chance (0.250)"), text);
    assertTrue(text.contains("MDM's acc at the end of training is 0.2"), text);
    // The lead is AR's, and AR is above chance: that reading stands although MDM guesses.
    assertEquals("reproduced", status(f, "ar_wins_plentiful_data"), f.toString());
    Map<String, Object> row =
        Report.read(root.toString(), new Configuration(), "acc").summary().get(0);
    @SuppressWarnings("unchecked")
    Map<String, Object> mdm = (Map<String, Object>) row.get("mdm_score");
    assertEquals(false, mdm.get("above_chance"), row.toString());
    assertEquals(0.25, (double) row.get("chance"), 1e-15);
  }

  /**
   * The rule, checked against its own evidence over a range of AR scores with MDM near chance: the
   * arm a downstream finding reads is the one that leads, or where none leads significantly the one
   * the claim says should (MDM), and a finding on an arm at chance is not measurable. Among these
   * draws, one has AR above chance without a significant lead: the claim then rests on MDM.
   */
  @Test
  void theArmAClaimRestsOnMustScoreAboveChance() throws Exception {
    double[] loss = flat(2.0, 3);
    boolean restsOnMdm = false;
    for (double ar : new double[] {0.29, 0.3, 0.31, 0.32, 0.33, 0.35}) {
      for (String name : List.of("ar-u16Ki", "mdm-u16Ki")) {
        if (Files.exists(root.resolve(name))) {
          deleteRun(name);
        }
      }
      run("ar-u16Ki", "ar", "16Ki", 1, new double[] {0.25, ar, ar}, loss);
      run("mdm-u16Ki", "mdm", "16Ki", 1, new double[] {0.25, 0.31, 0.31}, loss);
      JsonNode f = findings(new ByteArrayOutputStream()).get("downstream_crossover");
      JsonNode e = f.path("evidence");
      double low = e.path("interval").path("low").asDouble();
      double high = e.path("interval").path("high").asDouble();
      String lead = low > 0 ? "mdm" : high < 0 ? "ar" : "none";
      boolean seen =
          e.path((lead.equals("ar") ? "ar" : "mdm") + "_score").path("above_chance").asBoolean();
      String expected =
          !seen
              ? "not measurable"
              : lead.equals("ar")
                  ? "contradicted in these runs"
                  : lead.equals("mdm") ? "seen in these runs" : "not significant";
      assertEquals(expected, f.path("status").asText(), f.toString());
      if (lead.equals("none") && e.path("ar_score").path("above_chance").asBoolean()) {
        restsOnMdm = true;
        assertTrue(f.path("text").asText().contains("the claim rests on MDM"), f.toString());
      }
    }
    assertTrue(restsOnMdm, "no draw had AR above chance without a significant lead");
  }

  @Test
  void notSignificantSaysWhatItCouldHaveDetected() throws Exception {
    double[] loss = flat(2.0, 3);
    for (int s = 1; s <= 3; s++) {
      run("ar-u16Ki-s" + s, "ar", "16Ki", s, new double[] {0.25, 0.5, 0.5}, loss);
      run("mdm-u16Ki-s" + s, "mdm", "16Ki", s, new double[] {0.25, 0.5, 0.5}, loss);
    }
    Map<String, JsonNode> f = findings(new ByteArrayOutputStream());
    assertEquals("not significant", status(f, "downstream_crossover"), f.toString());
    String text = f.get("downstream_crossover").path("text").asText();
    Matcher m =
        Pattern.compile("it detects a difference of ±(0\\.\\d+) or more with 80% power")
            .matcher(text);
    assertTrue(m.find(), text);
    double detectable = Double.parseDouble(m.group(1));
    JsonNode interval = f.get("downstream_crossover").path("evidence").path("interval");
    double half = (interval.path("high").asDouble() - interval.path("low").asDouble()) / 2;
    // More than the half-width (a difference at the edge is seen half the time), less than twice.
    assertTrue(detectable > half && detectable < 2 * half, detectable + " vs half-width " + half);
  }

  @Test
  void aScoreHoldsOnlyWithinTheEquivalenceMargin() throws Exception {
    // AR's loss rises past its best; its score is drawn afresh at every evaluation around the same
    // 0.6, so its change is near 0 but its 90% interval is wider than a margin of 0.02: not shown.
    double[] loss = {5.0, 2.0, 2.3, 2.6, 3.0};
    for (int s = 1; s <= 3; s++) {
      run("ar-u16Ki-s" + s, "ar", "16Ki", s, new double[] {0.25, 0.6, 0.6, 0.6, 0.6}, loss);
      run("mdm-u16Ki-s" + s, "mdm", "16Ki", s, flat(0.5, 5), flat(2.5, 5));
    }
    Map<String, JsonNode> f = findings(new ByteArrayOutputStream());
    assertEquals("not shown", status(f, "ar_loss_rises_score_holds"), f.toString());
    assertTrue(
        f.get("ar_loss_rises_score_holds")
            .path("text")
            .asText()
            .contains("is not within the equivalence margin ±0.020"),
        f.toString());
    // A margin wide enough for that interval: it holds.
    ReportFiles.write(
        root.toString(),
        new Configuration(),
        new PrintStream(new ByteArrayOutputStream(), true, "UTF-8"),
        new Report.Settings("acc", 0.3));
    JsonNode json = Json.MAPPER.readTree(root.resolve("report.json").toFile());
    assertEquals(0.3, json.path("equivalence_margin").asDouble());
    assertEquals("reproduced", json.path("findings").get(2).path("status").asText());
    // A score that falls is a contradiction, whatever the margin.
    for (int s = 1; s <= 3; s++) {
      deleteRun("ar-u16Ki-s" + s);
      run("ar-u16Ki-s" + s, "ar", "16Ki", s, new double[] {0.25, 0.9, 0.7, 0.6, 0.5}, loss);
    }
    Map<String, JsonNode> falls = findings(new ByteArrayOutputStream());
    assertEquals("contradicted", status(falls, "ar_loss_rises_score_holds"), falls.toString());
  }

  @Test
  void aTaskThatFailsItsBlindAuditIsMarkedAndCarriesNoDownstreamClaim() throws Exception {
    // The task file the runs were evaluated on: its answer is always the longest choice.
    StringBuilder task = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      List<String> choices = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        choices.add("\"" + (c == i % 4 ? "the longest choice" : "short" + c) + "\"");
      }
      task.append(
          String.format(
              "{\"id\":\"q%d\",\"doc\":\"d%d\",\"context\":\"it was\",\"choices\":[%s],"
                  + "\"answer\":%d}%n",
              i, i / 10, String.join(",", choices), i % 4));
    }
    Path file = Files.writeString(root.resolve("../cue.jsonl").normalize(), task.toString());
    String tasks = "eval.tasks=[\"cloze=mc:" + file + "\"]";
    double[] loss = flat(2.0, 3);
    // The runs recorded the file's hash: it is the file they scored.
    String sha = Sha256.hex(task.toString().getBytes(StandardCharsets.UTF_8));
    run("ar-u16Ki", "ar", "16Ki", 1, new double[] {0.25, 0.3, 0.3}, loss, sha, false, 1, tasks);
    run("mdm-u16Ki", "mdm", "16Ki", 1, new double[] {0.25, 0.6, 0.7}, loss, sha, false, 2, tasks);
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    ReportFiles.write(
        root.toString(), new Configuration(), new PrintStream(console, true, "UTF-8"));
    String text = console.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("cloze FAILS its blind audit"), text);
    JsonNode json = Json.MAPPER.readTree(root.resolve("report.json").toFile());
    assertEquals(false, json.path("task_audit").path("passed").asBoolean(true));
    JsonNode first = json.path("findings").get(0);
    assertEquals("not tested", first.path("status").asText(), first.toString());
    assertTrue(first.path("text").asText().contains("fails its blind audit"), first.toString());
    // Likelihood claims do not rest on the task: they are still decided.
    assertEquals("mdm_below_overfit_ar", json.path("findings").get(3).path("id").asText());
    assertEquals("not significant", json.path("findings").get(3).path("status").asText(), text);
  }

  @Test
  void aTaskFileChangedSinceTheRunsScoredItIsNotAuditedAndTheFindingsSaySo() throws Exception {
    Path file = Files.writeString(root.resolve("../other.jsonl").normalize(), "{}\n");
    String tasks = "eval.tasks=[\"cloze=mc:" + file + "\"]";
    double[] loss = flat(2.0, 3);
    run("ar-u16Ki", "ar", "16Ki", 1, new double[] {0.25, 0.3, 0.3}, loss, tasks);
    run("mdm-u16Ki", "mdm", "16Ki", 1, new double[] {0.25, 0.6, 0.7}, loss, tasks);
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    ReportFiles.write(
        root.toString(), new Configuration(), new PrintStream(console, true, "UTF-8"));
    JsonNode json = Json.MAPPER.readTree(root.resolve("report.json").toFile());
    assertEquals(false, json.path("task_audit").path("audited").asBoolean(true));
    String first = json.path("findings").get(0).path("text").asText();
    assertTrue(first.contains("The cloze task was not audited"), first);
  }
}
