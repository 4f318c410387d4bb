package io.crossover.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.driver.cli.CrossoverCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One writer per run: a second command on a run that trains is refused, the first unharmed. */
class RunOwnershipIT {
  @TempDir static Path tmp;
  static Path dataset;

  @BeforeAll
  static void data() throws Exception {
    dataset = TinyBrown.write(tmp.resolve("dataset"));
  }

  static String[] args(String run, String... extra) {
    return TinyBrown.train(dataset, tmp.resolve("runs").toString(), "ar", run, "128Ki", extra);
  }

  @Test
  void twoConcurrentResumesOfOneRunOneIsRefusedTheOtherEndsBitwiseAsTheUninterruptedRun()
      throws Exception {
    assertEquals(0, CrossoverCommand.execute(args("straight")));
    assertEquals(0, CrossoverCommand.execute(args("twice", "--set", "train.stop-after-steps=16")));
    Path run = tmp.resolve("runs").resolve("twice");
    Path lease = tmp.resolve("runs").resolve(".twice.lease");

    CompletableFuture<Integer> first =
        CompletableFuture.supplyAsync(() -> CrossoverCommand.execute(args("twice", "--resume")));
    while (!Files.exists(lease) && !first.isDone()) {
      Thread.sleep(5);
    }
    PrintStream err = System.err;
    ByteArrayOutputStream said = new ByteArrayOutputStream();
    int second;
    try {
      System.setErr(new PrintStream(said, true, StandardCharsets.UTF_8));
      second = CrossoverCommand.execute(args("twice", "--resume"));
    } finally {
      System.setErr(err);
    }
    boolean firstStillRunning = !first.isDone();
    String message = said.toString(StandardCharsets.UTF_8);
    assertTrue(firstStillRunning, "the first resume had ended before the second started");
    assertEquals(CrossoverCommand.EXIT_USAGE, second, message);
    assertTrue(message.contains("is in use by `"), message);
    assertTrue(message.contains("(pid " + ProcessHandle.current().pid()), message);
    assertTrue(
        message.contains("`ps -p " + ProcessHandle.current().pid() + "` on this host"), message);

    assertEquals(0, first.get());
    assertFalse(Files.exists(lease), "released when the run ended");
    Path straight = tmp.resolve("runs").resolve("straight");
    for (String file : List.of("model.safetensors", "optimizer.safetensors", "state.json")) {
      assertEquals(
          -1L,
          Files.mismatch(
              straight.resolve("checkpoints/step-128").resolve(file),
              run.resolve("checkpoints/step-128").resolve(file)),
          file + " differs from the uninterrupted run's");
    }
    assertEquals(
        Files.readAllLines(straight.resolve("metrics.jsonl")).size(),
        Files.readAllLines(run.resolve("metrics.jsonl")).size(),
        "each step logged once");
  }
}
