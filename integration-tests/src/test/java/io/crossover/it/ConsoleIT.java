package io.crossover.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees on the console, from a real {@code crossover} JVM with the shipped logging
 * setup: a bad input file on a cluster of executor JVMs is one line (not the executors' stack
 * traces), and Ctrl-C says where a run stopped and how to resume it, which then resumes exactly.
 */
class ConsoleIT {
  static final Pattern TRACE =
      Pattern.compile("(?m)^\\s+at [\\w.$/]+\\(.*\\)$|^Caused by: |^Exception in thread ");
  static final Path HOME = Path.of("..").toAbsolutePath().normalize();

  @TempDir Path tmp;

  /** A crossover process, its output going to files. */
  record Cli(Process process, Path out, Path err) {
    String stdout() throws Exception {
      return Files.readString(out, StandardCharsets.UTF_8);
    }

    String stderr() throws Exception {
      return Files.readString(err, StandardCharsets.UTF_8);
    }

    int await() throws Exception {
      if (!process.waitFor(5, TimeUnit.MINUTES)) {
        process.destroyForcibly().waitFor();
      }
      return process.exitValue();
    }

    void signal(String name) throws Exception {
      new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
    }
  }

  Cli start(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    // As from a terminal: a build started in the background inherits SIGINT ignored, and a JVM
    // does not handle a signal it was started ignoring (env execs java, keeping the pid).
    command.add("env");
    command.add("--default-signal=INT");
    command.add(ProcessHandle.current().info().command().orElse("java"));
    for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (flag.startsWith("--add-")
          || flag.startsWith("-XX:")
          || flag.startsWith("--enable-")
          || flag.startsWith("--sun-")
          || flag.startsWith("-Dio.netty")
          || flag.startsWith("-Djdk.")
          || flag.startsWith("-Dai.djl")) {
        command.add(flag);
      }
    }
    command.addAll(
        List.of(
            "-Xmx1g",
            "-Dlog4j2.configurationFile=" + HOME.resolve("conf/log4j2.properties"),
            "-Dcrossover.log.file=" + tmp.resolve("crossover.log"),
            "-Dcrossover.home=" + HOME,
            "-cp",
            System.getProperty("java.class.path"),
            "io.crossover.driver.Crossover"));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    Process p =
        new ProcessBuilder(command)
            .directory(tmp.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    return new Cli(p, out, err);
  }

  static void waitFor(BooleanSupplier condition, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      Thread.sleep(200);
    }
  }

  static List<String> lines(String text) {
    return text.lines().filter(l -> !l.isBlank() && !l.startsWith("[W")).toList();
  }

  @Test
  void aBadInputFileOnExecutorJvmsIsOneLineWithoutTheirStackTraces() throws Exception {
    Path corpus = tmp.resolve("corpus.jsonl");
    Files.writeString(corpus, "{\"text\": \"fine\"}\n{\"text\": broken\n");
    Cli cli =
        start("ingest", "--input", corpus.toString(), "--output", tmp.resolve("ds").toString());
    assertEquals(2, cli.await(), cli.stderr());
    List<String> err = lines(cli.stderr());
    assertEquals(1, err.size(), "one line:\n" + cli.stderr());
    assertTrue(
        err.get(0)
            .startsWith("crossover ingest: error: file:" + corpus + " line 2: not valid JSON"),
        err.get(0));
    assertFalse(TRACE.matcher(cli.stdout() + cli.stderr()).find(), cli.stdout() + cli.stderr());
    // The executors' failures are in the log file, with their traces.
    String log = Files.readString(tmp.resolve("crossover.log"));
    assertTrue(log.contains("Lost task") && TRACE.matcher(log).find(), log);
  }

  @Test
  void ctrlCOnTrainSaysWhereItStoppedAndTheResumeCommandResumesExactly() throws Exception {
    Path dataset = tmp.resolve("brown");
    Cli ingest =
        start(
            "ingest",
            "--input",
            IngestIT.BROWN.toString(),
            "--output",
            dataset.toString(),
            "--master",
            "local[1]");
    assertEquals(0, ingest.await(), ingest.stderr());
    String[] train = {
      "train",
      "--dataset",
      dataset.toString(),
      "--objective",
      "ar",
      "--preset",
      "tiny",
      "--unique-tokens",
      "64Ki",
      "--total-tokens",
      "256Ki",
      "--seq-len",
      "256",
      "--global-batch",
      "16",
      "--lr",
      "3e-3",
      "--run",
      "r",
      "--set",
      "run.root=" + tmp.resolve("runs"),
      "--set",
      "cluster.world-size=1",
      "--set",
      "train.checkpoint-every=8",
      "--set",
      "train.log-every=1",
      "--set",
      "eval.min-points=0",
      "--set",
      "eval.every-epoch=false",
      "--set",
      "eval.validation-sequences=2"
    };
    Cli cli = start(train);
    Path run = tmp.resolve("runs").resolve("r");
    waitFor(() -> Files.exists(run.resolve("checkpoints/step-16")), "the step-16 checkpoint");
    cli.signal("INT");
    assertEquals(130, cli.await(), cli.stderr());
    String err = cli.stderr();
    assertFalse(TRACE.matcher(cli.stdout() + err).find(), err);
    List<String> lines = lines(err);
    assertTrue(
        lines
            .get(0)
            .matches(
                "crossover: interrupted file:\\S+/runs/r after step \\d+ of 64 \\(epoch [0-9.]+\\); the last checkpoint is step-\\d+ .*"),
        err);
    String resume = lines.get(1);
    assertTrue(
        resume.startsWith("Resume: ")
            && resume.endsWith(
                " train "
                    + String.join(" ", Arrays.copyOfRange(train, 1, train.length))
                    + " --resume"),
        resume);
    // What it says to type, typed.
    String[] again = Arrays.copyOf(train, train.length + 1);
    again[train.length] = "--resume";
    Cli resumed = start(again);
    assertEquals(0, resumed.await(), resumed.stderr());
    List<String> metrics = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertEquals(64, metrics.size(), "every step logged once");
    for (int i = 0; i < metrics.size(); i++) {
      JsonNode m = Json.MAPPER.readTree(metrics.get(i));
      assertEquals(i + 1, m.path("step").asLong());
      assertEquals((i + 1) * 4096L, m.path("tokens_seen").asLong());
    }
  }

  @Test
  void ctrlCOnIngestIsOneLineAndTheNextIngestCleansUp() throws Exception {
    Path dataset = tmp.resolve("ds");
    Cli cli = start("ingest", "--input", IngestIT.BROWN.toString(), "--output", dataset.toString());
    waitFor(
        () -> {
          try {
            return cli.stdout().contains("input file(s) under");
          } catch (Exception e) {
            return false;
          }
        },
        "the ingest job to start");
    cli.signal("INT");
    assertEquals(130, cli.await(), cli.stderr());
    List<String> err = lines(cli.stderr());
    assertFalse(TRACE.matcher(cli.stdout() + cli.stderr()).find(), cli.stderr());
    assertEquals(1, err.size(), cli.stderr());
    assertTrue(
        err.get(0)
            .startsWith("crossover ingest: interrupted; file:" + dataset + " was not written"),
        err.get(0));
    Cli again =
        start(
            "ingest",
            "--input",
            IngestIT.BROWN.toString(),
            "--output",
            dataset.toString(),
            "--master",
            "local[1]");
    assertEquals(0, again.await(), again.stderr());
    try (var siblings = Files.list(tmp)) {
      assertTrue(
          siblings.noneMatch(p -> p.getFileName().toString().startsWith(".ds.")),
          "no temporaries left");
    }
  }
}
