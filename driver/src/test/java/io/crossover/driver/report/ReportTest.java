package io.crossover.driver.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report renders from a small fixture of run directories with known curves. */
class ReportTest {
  @TempDir Path root;

  /** A run directory with a saved config and evaluations at epochs 0..4 with these scores. */
  void run(String name, String objective, String unique, double[] acc, String... extra)
      throws Exception {
    double[] loss = new double[acc.length];
    for (int i = 0; i < acc.length; i++) {
      loss[i] = 3.0 - 0.1 * i;
    }
    run(name, objective, unique, acc, loss, extra);
  }

  void run(
      String name, String objective, String unique, double[] acc, double[] loss, String... extra)
      throws Exception {
    Path dir = Files.createDirectories(root.resolve(name));
    List<String> overrides =
        new ArrayList<>(
            List.of(
                "objective.type=" + objective,
                "budget.unique-tokens=" + unique,
                "budget.total-tokens=64Ki",
                "run.name=" + name));
    overrides.addAll(List.of(extra));
    Files.writeString(
        dir.resolve("config.json"), ConfigLoader.toJson(ConfigLoader.load(null, overrides)));
    long u = io.crossover.data.config.Counts.parse(unique);
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < acc.length; i++) {
      long tokens = i * 16384L;
      McResult m = new McResult(acc[i], acc[i], acc[i], 2.0 - 0.1 * i, 2.5, -0.5 - 0.1 * i, 100);
      lines
          .append(
              Json.snakeLine(
                  new EvalRecord(
                      i * 4L,
                      (double) tokens / u,
                      tokens,
                      u,
                      loss[i],
                      objective.equals("ar") ? "nll" : "elbo",
                      Map.of("cloze", m),
                      1.0)))
          .append('\n');
    }
    Files.writeString(dir.resolve("evals.jsonl"), lines);
    Files.writeString(dir.resolve("DONE"), "");
  }

  @Test
  void theValidationLossCrossoverIsWhereMdmsElboStaysBelowArsNll() throws Exception {
    double[] acc = {0.25, 0.25, 0.25, 0.25, 0.25};
    // AR overfits (NLL 2.0 -> 2.6 from epoch 1); MDM's ELBO passes below it at epoch 3.
    run("ar-u16Ki", "ar", "16Ki", acc, new double[] {5.0, 2.0, 2.3, 2.6, 3.0});
    run("mdm-u16Ki", "mdm", "16Ki", acc, new double[] {5.0, 3.0, 2.7, 2.5, 2.4});
    Map<String, String> row =
        Report.read(root.toString(), new Configuration(), "acc").summary().get(0);
    assertEquals("3.0", row.get("val crossover epoch"));
    assertEquals("none", row.get("crossover epoch"), "equal accuracies never cross");
  }

  @Test
  void pairsRunsFindsCrossoverAndPotentialAndDrawsTheFigures() throws Exception {
    // U = 16Ki (4 epochs): MDM overtakes AR at the third evaluation (epoch 2) and stays ahead.
    run("ar-u16Ki", "ar", "16Ki", new double[] {0.25, 0.30, 0.31, 0.30, 0.29});
    run("mdm-u16Ki", "mdm", "16Ki", new double[] {0.25, 0.28, 0.32, 0.34, 0.36});
    // U = 64Ki (1 epoch): AR stays ahead; its best (0.40) is above MDM's best at 16Ki (0.36).
    run("ar-u64Ki", "ar", "64Ki", new double[] {0.25, 0.32, 0.36, 0.39, 0.40});
    run("mdm-u64Ki", "mdm", "64Ki", new double[] {0.25, 0.27, 0.30, 0.33, 0.35});
    // A pair that differs in more than the objective is reported.
    run("ar-u32Ki", "ar", "32Ki", new double[] {0.25, 0.30, 0.33, 0.33, 0.33});
    run("mdm-u32Ki", "mdm", "32Ki", new double[] {0.25, 0.30, 0.31, 0.32, 0.32}, "optim.lr=1e-3");
    run("mdm-lonely", "mdm", "16Ki", new double[] {0.25});

    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Report.write(root.toString(), new Configuration(), new PrintStream(console, true, "UTF-8"));
    String table = console.toString(StandardCharsets.UTF_8);

    Report report = Report.read(root.toString(), new Configuration(), "acc");
    List<Map<String, String>> summary = report.summary();
    assertEquals(3, summary.size(), table);
    Map<String, String> u16 = summary.get(0);
    assertEquals("16Ki", u16.get("unique"));
    assertEquals("4.0", u16.get("epochs"));
    assertEquals("2.0", u16.get("crossover epoch"), table);
    assertEquals("32Ki", u16.get("crossover tokens"));
    // AR's best is 0.31 at 16Ki, 0.33 at 32Ki, 0.40 at 64Ki; MDM's best at 16Ki is 0.36:
    // log2(U/16Ki) = 1 + (0.36 - 0.33) / (0.40 - 0.33) -> 2^(1 + 3/7) = 2.69x.
    assertEquals(String.format("%.2fx", Math.pow(2, 1 + 3.0 / 7)), u16.get("data potential"));
    // Both runs' validation losses are 3.0 - 0.1 i: equal is not below, so no loss crossover.
    assertEquals("none", u16.get("val crossover epoch"));
    Map<String, String> u64 = summary.get(2);
    assertEquals("none", u64.get("crossover epoch"));
    assertEquals("0.400", u64.get("AR acc"));
    // MDM's best at 64Ki is 0.35, which AR reaches between 32Ki (0.33) and 64Ki (0.40).
    assertEquals(String.format("%.2fx", Math.pow(2, 1 + 2.0 / 7) / 4), u64.get("data potential"));

    assertTrue(table.contains("unmatched ar-u32Ki / mdm-u32Ki: optim.lr"), table);
    assertTrue(table.contains("no partner for mdm-lonely"), table);
    String html = Files.readString(root.resolve("report.html"));
    assertTrue(html.contains("<td>2.69x</td>"), html);
    assertTrue(html.contains("figure-a.png") && html.contains("delta-nll.png"), html);
    for (String png : List.of("figure-a.png", "delta-nll.png", "by-budget.png")) {
      BufferedImage image = ImageIO.read(root.resolve(png).toFile());
      assertNotNull(image, png);
      assertTrue(image.getWidth() >= Figures.PANEL_W && image.getHeight() >= Figures.PANEL_H);
    }
    // Figure A: 3 rows (pairs) x 2 columns (the task, the validation loss).
    BufferedImage a = ImageIO.read(root.resolve("figure-a.png").toFile());
    assertEquals(2 * Figures.PANEL_W, a.getWidth());
    assertEquals(3 * Figures.PANEL_H, a.getHeight());
  }
}
