package io.crossover.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.driver.Crossover;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
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
          Crossover.execute(
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
    assertTrue(out.matches("(?s).*steps\\s+512\\n.*"), out);
    assertTrue(out.matches("(?s).*epochs T/U\\s+8\\.0000\\n.*"), out);

    Path run = tmp.resolve("runs").resolve("quickstart");
    CrossoverConfig saved = ConfigLoader.fromJson(Files.readString(run.resolve("config.json")));
    CrossoverConfig expected =
        ConfigLoader.load(
            "quickstart",
            List.of(
                "data.input.path=" + saved.data().input().path(),
                "run.root=" + tmp.resolve("runs"),
                "data.dataset=" + tmp.resolve("dataset")));
    assertEquals(expected, saved, "config.json reads back to the config the run used");

    // Then an AR and an MDM run on 2 ranks, compared in a table.
    for (String objective : List.of("ar", "mdm")) {
      Path trained = tmp.resolve("runs").resolve("quickstart-" + objective);
      assertTrue(Files.exists(trained.resolve("DONE")), objective + " run finished");
      List<String> evals = Files.readAllLines(trained.resolve("evals.jsonl"));
      JsonNode last = Json.MAPPER.readTree(evals.get(evals.size() - 1));
      assertEquals(512, last.path("step").asLong());
      assertEquals(200, last.path("tasks").path("cloze").path("items").asInt());
      assertTrue(out.contains("quickstart-" + objective + " "), out);
    }
    assertTrue(out.contains("not comparable as likelihoods"), out);

    JsonNode plan = Json.MAPPER.readTree(run.resolve("plan.json").toFile());
    assertEquals(512, plan.path("steps").asLong());
    assertEquals(262144, plan.path("unique-tokens").asLong());
    assertEquals(4, plan.path("first-sequences-rank0").size());
  }
}
