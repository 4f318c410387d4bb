package io.crossover.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.driver.cli.CrossoverCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code crossover sweep} end to end (in-process ranks, local files): a failed run does not stop
 * the sweep; a re-run skips finished runs untouched, resumes an interrupted one from its latest
 * checkpoint to bitwise the same model, retries the failed one, and writes the report.
 */
class SweepIT {
  @TempDir Path tmp;

  String sweep() throws Exception {
    return sweep(tmp.resolve("runs"));
  }

  String sweep(Path root) throws Exception {
    Path file = tmp.resolve("toy.conf");
    Files.writeString(
        file,
        """
        name = "toy"
        base = "quickstart"
        root = "%s"
        set {
          "data.input.path" = "%s"
          "data.dataset" = "%s"
          "cluster.master" = "local[1]"
          "cluster.world-size" = 1
          "model.preset" = "tiny"
          "budget.total-tokens" = 16Ki
          "budget.seq-len" = 64
          "budget.global-batch" = 8
          "train.checkpoint-every" = 8
          "eval.max-items" = 8
          "eval.min-points" = 2
          "eval.validation-sequences" = 4
          "eval.mdm-samples" = 2
        }
        axes {
          "objective.type" = [ar, mdm]
          "budget.unique-tokens" = [4Ki, 8Ki]
        }
        """
            .formatted(root, IngestIT.BROWN, tmp.resolve("dataset")));
    return file.toString();
  }

  record Result(int code, String out, String err) {}

  static Result crossover(String... args) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    ByteArrayOutputStream errors = new ByteArrayOutputStream();
    PrintStream original = System.out;
    PrintStream originalErr = System.err;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(errors, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = CrossoverCommand.execute(args);
    } finally {
      System.setOut(original);
      System.setErr(originalErr);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    String err = errors.toString(StandardCharsets.UTF_8);
    original.print(out);
    originalErr.print(err);
    return new Result(code, out, err);
  }

  @Test
  void anInterruptedSweepCompletesWithoutRerunningFinishedRuns() throws Exception {
    // The shipped cloze items resolve against the installation, as under bin/crossover.
    System.setProperty("crossover.home", Path.of("..").toAbsolutePath().normalize().toString());
    String file = sweep();
    Path runs = tmp.resolve("runs").resolve("toy");
    Files.createDirectories(runs);
    // A file where mdm-u4Ki's directory should go makes that run fail.
    Files.writeString(runs.resolve("mdm-u4Ki"), "in the way");

    Result first = crossover("sweep", file, "--no-estimate");
    assertEquals(1, first.code(), "a failed run makes the sweep's exit code 1");
    // Said as every failure is: one line naming the run and the cause, then where the trace is.
    assertTrue(
        first
            .err()
            .startsWith("crossover sweep: failed: 1 of 4 runs failed: mdm-u4Ki (run.root: cannot"),
        first.err());
    assertTrue(first.err().contains("run the same command again"), first.err());
    assertTrue(first.out().matches("(?s).*mdm-u4Ki\\s+FAILED.*"), first.out());
    for (String run : List.of("ar-u4Ki", "ar-u8Ki", "mdm-u8Ki")) {
      assertTrue(Files.exists(runs.resolve(run).resolve("DONE")), run + " ran after the failure");
    }

    // Interrupt mdm-u8Ki after step 24: no DONE, no final checkpoint.
    Path interrupted = runs.resolve("mdm-u8Ki");
    byte[] finalModel =
        Files.readAllBytes(interrupted.resolve("checkpoints/step-32/model.safetensors"));
    Files.delete(interrupted.resolve("DONE"));
    deleteTree(interrupted.resolve("checkpoints/step-32"));
    FileTime[] before = new FileTime[2];
    byte[][] metrics = new byte[2][];
    for (int i = 0; i < 2; i++) {
      Path m = runs.resolve(List.of("ar-u4Ki", "ar-u8Ki").get(i)).resolve("metrics.jsonl");
      before[i] = Files.getLastModifiedTime(m);
      metrics[i] = Files.readAllBytes(m);
    }
    Files.delete(runs.resolve("mdm-u4Ki"));

    Result second = crossover("sweep", file, "--no-estimate");
    assertEquals(0, second.code(), second.out());
    assertEquals(2, count(second.out(), "DONE already, skipped"), second.out());
    assertTrue(second.out().contains("mdm-u8Ki: resuming from its latest checkpoint"));
    for (int i = 0; i < 2; i++) {
      Path m = runs.resolve(List.of("ar-u4Ki", "ar-u8Ki").get(i)).resolve("metrics.jsonl");
      assertEquals(before[i], Files.getLastModifiedTime(m), "finished runs are not touched");
      assertArrayEquals(metrics[i], Files.readAllBytes(m));
    }
    assertTrue(Files.exists(runs.resolve("mdm-u4Ki").resolve("DONE")), "the failed run retried");
    assertTrue(Files.exists(interrupted.resolve("DONE")));
    assertArrayEquals(
        finalModel,
        Files.readAllBytes(interrupted.resolve("checkpoints/step-32/model.safetensors")),
        "the resumed run ends with bitwise the model of the uninterrupted one");
    List<String> lines = Files.readAllLines(interrupted.resolve("metrics.jsonl"));
    assertTrue(lines.get(lines.size() - 1).contains("\"tokens_seen\":16384"), lines.toString());

    assertTrue(Files.exists(runs.resolve("report.html")));
    assertTrue(Files.exists(runs.resolve("figure-a.png")));
    assertTrue(
        second.out().contains("Crossover report: 2 comparison(s) of an AR arm with MDM"),
        second.out());
    assertFalse(second.out().contains("no claim for"), "AR and MDM differ only in the objective");
  }

  @Test
  void aSweepWhoseRunsAllFailSaysSoWithExitOne() throws Exception {
    System.setProperty("crossover.home", Path.of("..").toAbsolutePath().normalize().toString());
    Path runs = Files.createDirectories(tmp.resolve("blocked").resolve("toy"));
    for (String run : List.of("ar-u4Ki", "ar-u8Ki", "mdm-u4Ki", "mdm-u8Ki")) {
      Files.writeString(runs.resolve(run), "in the way");
    }
    Result result = crossover("sweep", sweep(tmp.resolve("blocked")), "--no-estimate");
    assertEquals(1, result.code(), result.err());
    assertTrue(
        result.err().startsWith("crossover sweep: failed: 4 of 4 runs failed: ar-u4Ki (run.root:"),
        result.err());
    assertTrue(result.out().contains("no report: no run of the sweep trained"), result.out());
    assertFalse(Files.exists(runs.resolve("report.json")));
  }

  static int count(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }

  static void deleteTree(Path dir) throws Exception {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
