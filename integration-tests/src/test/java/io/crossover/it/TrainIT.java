package io.crossover.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import io.crossover.driver.cli.CrossoverCommand;
import io.crossover.executor.checkpoint.SafeTensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code crossover train} on one rank: both objectives learn, and the run directory is complete.
 */
class TrainIT {
  @TempDir static Path tmp;
  static Path dataset;

  @BeforeAll
  static void brownDataset() throws Exception {
    dataset = TinyBrown.write(tmp.resolve("dataset"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"ar", "mdm"})
  void aTinyModelLearnsAndTheRunDirectoryIsComplete(String objective) throws Exception {
    int code =
        CrossoverCommand.execute(
            "train",
            "--objective",
            objective,
            "--preset",
            "tiny",
            "--dataset",
            dataset.toString(),
            "--unique-tokens",
            "16Ki",
            "--total-tokens",
            "96Ki",
            "--seq-len",
            "64",
            "--global-batch",
            "16",
            "--lr",
            "3e-3",
            "--run",
            objective,
            "--set",
            "cluster.world-size=1",
            "--set",
            "optim.warmup-steps=10",
            "--set",
            "train.log-every=8",
            "--set",
            "eval.tasks=[\"cloze=mc:"
                + Path.of("../conf/data/cloze-dev.jsonl").toAbsolutePath()
                + "\"]",
            "--set",
            "eval.max-items=20",
            "--set",
            "eval.mdm-samples=4",
            "--set",
            "eval.min-points=2",
            "--set",
            "run.root=" + tmp.resolve("runs"));
    assertEquals(0, code);
    Path run = tmp.resolve("runs").resolve(objective);
    for (String file :
        List.of("config.json", "plan.json", "metrics.jsonl", "evals.jsonl", "DONE")) {
      assertTrue(Files.exists(run.resolve(file)), file);
    }
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      lines.add(Json.MAPPER.readTree(line));
    }
    assertEquals(12, lines.size(), "96 steps logged every 8");
    JsonNode first = lines.get(0);
    JsonNode last = lines.get(lines.size() - 1);
    assertEquals(96, last.path("step").asLong());
    assertEquals(96 * 1024, last.path("tokens_seen").asLong());
    assertEquals(6.0, last.path("epoch").asDouble(), 1e-9);
    double uniform = Math.log(259);
    assertTrue(first.path("loss").asDouble() < uniform + 0.5, "starts near uniform: " + first);
    assertTrue(
        last.path("loss").asDouble() < 0.75 * uniform,
        objective + " loss fell from " + uniform + " to " + last.path("loss").asDouble());

    List<String> evals = Files.readAllLines(run.resolve("evals.jsonl"));
    // Start, every epoch (6), and the min-points (48, 96) that epochs already cover but 48.
    assertEquals(
        List.of(0L, 16L, 32L, 48L, 64L, 80L, 96L), evals.stream().map(l -> step(l)).toList());
    JsonNode lastEval = Json.MAPPER.readTree(evals.get(evals.size() - 1));
    assertEquals(objective.equals("ar") ? "nll" : "elbo", lastEval.path("val_loss_kind").asText());
    assertEquals(20, lastEval.path("tasks").path("cloze").path("items").asInt());
    assertTrue(
        lastEval.path("val_loss").asDouble()
            < Json.MAPPER.readTree(evals.get(0)).path("val_loss").asDouble(),
        "validation loss fell");

    assertEquals(
        0,
        CrossoverCommand.execute(
            "generate",
            "--checkpoint",
            run.toString(),
            "--prompt",
            "The ",
            "--max-tokens",
            "16",
            "--steps",
            "8"));
    Path exported = tmp.resolve("export-" + objective);
    assertEquals(
        0,
        CrossoverCommand.execute(
            "export", "--checkpoint", run.toString(), "--out", exported.toString()));
    JsonNode hf = Json.MAPPER.readTree(exported.resolve("config.json").toFile());
    assertEquals("qwen3", hf.path("model_type").asText());
    assertEquals(objective, hf.path("crossover_objective").asText());
    assertEquals(64, hf.path("hidden_size").asInt());
    Map<String, SafeTensors.Tensor> tensors;
    try (var in = Files.newInputStream(exported.resolve("model.safetensors"))) {
      tensors = SafeTensors.read(in, new HashMap<>());
    }
    // torch Linear layout (out, in): gate_proj maps 64 -> 176.
    Assertions.assertArrayEquals(
        new long[] {176, 64}, tensors.get("model.layers.0.mlp.gate_proj.weight").shape());
    Assertions.assertArrayEquals(new long[] {259, 64}, tensors.get("lm_head.weight").shape());

    int again =
        CrossoverCommand.execute(
            "train",
            "--objective",
            objective,
            "--dataset",
            dataset.toString(),
            "--run",
            objective,
            "--set",
            "cluster.world-size=1",
            "--set",
            "run.root=" + tmp.resolve("runs"));
    assertEquals(CrossoverCommand.EXIT_USAGE, again, "an existing run is not overwritten silently");
  }

  static long step(String jsonLine) {
    try {
      return Json.MAPPER.readTree(jsonLine).path("step").asLong();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String[] args(String objective, String run, String... extra) {
    return TinyBrown.train(dataset, tmp.resolve("runs").toString(), objective, run, "32Ki", extra);
  }

  /** K steps straight vs K/2, stop, fresh model and optimiser, load, K/2 more: bitwise equal. */
  @ParameterizedTest
  @ValueSource(strings = {"ar", "mdm"})
  void resumingFromACheckpointGivesBitwiseTheSameModel(String objective) throws Exception {
    assertEquals(0, CrossoverCommand.execute(args(objective, objective + "-straight")));
    assertEquals(
        0,
        CrossoverCommand.execute(
            args(objective, objective + "-split", "--set", "train.stop-after-steps=16")));
    Path split = tmp.resolve("runs").resolve(objective + "-split");
    assertTrue(Files.isDirectory(split.resolve("checkpoints/step-16")));
    assertTrue(!Files.exists(split.resolve("DONE")), "stopped early: not done");
    assertEquals(0, CrossoverCommand.execute(args(objective, objective + "-split", "--resume")));
    Path straight = tmp.resolve("runs").resolve(objective + "-straight");
    for (String file : List.of("model.safetensors", "optimizer.safetensors", "state.json")) {
      assertEquals(
          -1L,
          Files.mismatch(
              straight.resolve("checkpoints/step-32").resolve(file),
              split.resolve("checkpoints/step-32").resolve(file)),
          file + " differs between the straight and the resumed run");
    }
    List<String> a = Files.readAllLines(straight.resolve("metrics.jsonl"));
    List<String> b = Files.readAllLines(split.resolve("metrics.jsonl"));
    assertEquals(a.size(), b.size(), "each step logged once");
    for (int i = 0; i < a.size(); i++) {
      assertEquals(
          Json.MAPPER.readTree(a.get(i)).path("loss").asDouble(),
          Json.MAPPER.readTree(b.get(i)).path("loss").asDouble(),
          "loss at line " + i);
    }
  }
}
