package io.crossover.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.driver.cli.CrossoverCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code crossover quickstart} end to end through the CLI, on the embedded local-cluster. */
class QuickstartIT {
  @TempDir Path tmp;

  @Test
  void quickstartIngestsTheShippedSlicePlansAndSavesTheRun() throws Exception {
    System.setProperty("crossover.home", Path.of("..").toAbsolutePath().normalize().toString());
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int code;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      code =
          CrossoverCommand.execute(
              "quickstart",
              "--set",
              "run.root=" + tmp.resolve("runs"),
              "--set",
              "data.dataset=" + tmp.resolve("dataset"));
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    original.print(out);
    assertEquals(0, code, out);
    assertTrue(out.contains("125 documents read, 125 kept"), out);
    assertTrue(
        out.contains(
            "1000 cloze items from 33 validation documents -> cloze.jsonl; blind audit"
                + " passed"),
        out);

    // A sweep of four runs on 2 ranks: AR and MDM at 16Ki (64 epochs) and 1Mi (1 epoch).
    Path sweep = tmp.resolve("runs").resolve("sweeps").resolve("quickstart");
    for (String run : List.of("ar-u16Ki", "mdm-u16Ki", "ar-u1Mi", "mdm-u1Mi")) {
      Path dir = sweep.resolve(run);
      assertTrue(Files.exists(dir.resolve("DONE")), run + " finished");
      CrossoverConfig saved = ConfigLoader.fromJson(Files.readString(dir.resolve("config.json")));
      assertEquals(run.startsWith("ar") ? "AR" : "MDM", saved.objective().type().name());
      assertEquals(2, saved.cluster().worldSize());
      assertEquals(tmp.resolve("dataset").toString(), URI.create(saved.data().dataset()).getPath());
      JsonNode plan = Json.MAPPER.readTree(dir.resolve("plan.json").toFile());
      assertEquals(256, plan.path("steps").asLong());
      assertEquals(run.endsWith("16Ki") ? 16384 : 1 << 20, plan.path("unique-tokens").asLong());
      List<String> evals = Files.readAllLines(dir.resolve("evals.jsonl"));
      JsonNode last = Json.MAPPER.readTree(evals.get(evals.size() - 1));
      assertEquals(256, last.path("step").asLong());
      // 500 items at the final evaluation, 200 before it.
      assertEquals(500, last.path("tasks").path("cloze").path("items").asInt());
      JsonNode first = Json.MAPPER.readTree(evals.get(0));
      assertEquals(200, first.path("tasks").path("cloze").path("items").asInt());
      // Every item's outcome is kept, so that the report can put intervals on differences.
      assertEquals(
          500, last.path("tasks").path("cloze").path("per_item").path("acc").asText().length());
      // With its id and source document, and the task file's hash, so runs pair item by item.
      assertEquals(500, last.path("tasks").path("cloze").path("per_item").path("ids").size());
      assertEquals(64, last.path("tasks").path("cloze").path("task_sha256").asText().length());
      assertEquals(128, last.path("val_docs").size());
    }
    // Then the report: a table on the console, report.html and figures next to the runs.
    assertTrue(out.contains("Crossover report: 2 comparison(s) of an AR arm with MDM"), out);
    assertTrue(out.matches("(?s).*\\ntiny\\s+16Ki\\s+64\\.0\\s+ar\\s+1\\s+500\\s.*"), out);
    assertTrue(Files.size(sweep.resolve("report.json")) > 1000);
    assertTrue(!out.contains("no claim for"), "AR and MDM differ only in the objective");
    assertTrue(out.contains("cloze passes its blind audit"), out);
    // The console ends with the findings; the quickstart is chosen to show the likelihood one,
    // which with one seed speaks of the models trained.
    String findings = out.substring(out.indexOf("Findings (each decided by rule"));
    assertTrue(
        findings.contains(
            "- MDM below an overfit AR in likelihood: seen in these runs. At 16Ki unique tokens (64"
                + " epochs; tiny, 1 seed: the models trained, not the objectives), MDM's final ELBO"
                + " minus AR's final NLL is -"),
        findings);
    assertTrue(Files.size(sweep.resolve("report.html")) > 1000);
    assertTrue(Files.size(sweep.resolve("figure-a.png")) > 1000);
    assertTrue(out.contains("report: file:" + sweep.resolve("report.html")), out);
  }
}
