package io.crossover.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.data.Sha256;
import io.crossover.data.shard.DatasetWriter;
import io.crossover.data.shard.Filesystems;
import io.crossover.data.shard.Manifest;
import io.crossover.data.tokenize.ByteTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cloze} replaces a task file only when asked, never one a run records wherever the run
 * lives, and says what it checked and what it replaced; a directory as --out is refused before any
 * work.
 */
class ClozeCommandTest {
  @TempDir static Path tmp;
  static String dataset;

  /** Held-out documents long and many enough for a task that passes its audit. */
  @BeforeAll
  static void fixtures() throws Exception {
    Cli.useShippedLogging(tmp.resolve("logs"));
    SplittableRandom random = new SplittableRandom(5);
    List<int[]> train = new ArrayList<>();
    for (int d = 0; d < 20; d++) {
      train.add(document("t", 300, random));
    }
    List<int[]> validation = new ArrayList<>();
    for (int d = 0; d < 16; d++) {
      validation.add(document("v", 600, random));
    }
    Path dir = tmp.resolve("dataset");
    DatasetWriter.write(
        Filesystems.raw(FileSystem.getLocal(new Configuration())),
        new org.apache.hadoop.fs.Path(dir.toUri()),
        train,
        validation,
        new ByteTokenizer(),
        new Manifest.Source("test", "tokens", 0),
        4096,
        512);
    dataset = dir.toString();
  }

  private static int[] document(String prefix, int words, SplittableRandom random) {
    StringBuilder text = new StringBuilder();
    for (int w = 0; w < words; w++) {
      // Zipf-like, so that word frequencies differ.
      text.append(w == 0 ? "" : " ")
          .append(prefix)
          .append((int) Math.floor(Math.pow(random.nextDouble(), 3) * 500));
    }
    return new ByteTokenizer().encode(text.toString());
  }

  /** cloze into {@code out} with {@code more} options; run.root is a directory without runs. */
  private static Cli.Result cloze(Path out, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "cloze",
                "--dataset",
                dataset,
                "--items",
                "40",
                "--out",
                out.toString(),
                "--set",
                "run.root=" + tmp.resolve("no-runs")));
    args.addAll(List.of(more));
    return Cli.run(args.toArray(new String[0]));
  }

  /** A planned run under {@code root} that evaluates on {@code task}. */
  private static Path runOn(Path root, String name, Path task) {
    Cli.run(
            "plan",
            "--dataset",
            dataset,
            "--seq-len",
            "64",
            "--global-batch",
            "4",
            "--world-size",
            "2",
            "--unique-tokens",
            "1024",
            "--total-tokens",
            "4096",
            "--run",
            name,
            "--set",
            "run.root=" + root,
            "--set",
            "eval.tasks=[\"cloze=mc:" + task + "\"]")
        .expect(0, null);
    return root.resolve(name);
  }

  @Test
  void aDirectoryAsOutIsRefusedBeforeAnyWorkWithTheFileItMeant() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("a-directory"));
    String expected =
        "crossover cloze: error: --out: "
            + dir
            + " is a directory; name the task file to write, e.g. "
            + dir.resolve("cloze.jsonl");
    for (String[] more : List.of(new String[0], new String[] {"--overwrite"})) {
      Cli.Result r = cloze(dir, more).expect(CrossoverCommand.EXIT_USAGE, expected);
      assertEquals("", r.out(), "refused before the build and its audit");
    }
    try (var left = Files.list(dir)) {
      assertEquals(0, left.count());
    }
  }

  @Test
  void aTaskFileARunRecordsIsKeptWhereverTheRunLives() throws Exception {
    Path task = tmp.resolve("recorded.jsonl");
    cloze(task).expect(0, null);
    String built = Files.readString(task);
    Path elsewhere = tmp.resolve("elsewhere");
    Path run = runOn(elsewhere, "measured", task);
    // The run lives under neither run.root nor the default run root: --runs names where.
    Cli.Result r =
        cloze(task, "--overwrite", "--runs", elsewhere.toString())
            .expect(CrossoverCommand.EXIT_USAGE, "crossover cloze: error: --out: ");
    String line = r.firstErrorLine();
    assertTrue(line.contains("is the task file of 1 run(s)"), line);
    assertTrue(line.contains(run.resolve("identity.json").toString()), line);
    assertTrue(line.contains("checked runs under "), line);
    assertTrue(line.contains(elsewhere.toString()), line);
    assertEquals(built, Files.readString(task), "the task file the run records is kept");
    // A link to the file is the file; a copy is another one, which the run never reads.
    Path link = Files.createSymbolicLink(tmp.resolve("link.jsonl"), task);
    Cli.Result l =
        cloze(link, "--overwrite", "--runs", elsewhere.toString())
            .expect(CrossoverCommand.EXIT_USAGE, "crossover cloze: error: --out: ");
    assertTrue(l.firstErrorLine().contains("is the task file of 1 run(s)"), l.firstErrorLine());
    assertEquals(built, Files.readString(task));
    Path copy = Files.writeString(tmp.resolve("copy.jsonl"), built);
    cloze(copy, "--overwrite", "--runs", elsewhere.toString(), "--seed", "2").expect(0, null);
    assertTrue(!built.equals(Files.readString(copy)), "the copy is replaced");
    assertEquals(built, Files.readString(task));
  }

  @Test
  void theDefaultRunRootIsCheckedWhateverRunRootSays() throws Exception {
    // The installation's runs/ (bin/crossover sets crossover.home), where the default run.root
    // resolves from any directory without one of its own.
    Path home = Files.createDirectories(tmp.resolve("home"));
    Path task = tmp.resolve("default-root.jsonl");
    cloze(task).expect(0, null);
    String built = Files.readString(task);
    Path run = runOn(home.resolve("runs"), "in-default-root", task);
    String before = System.getProperty("crossover.home");
    System.setProperty("crossover.home", home.toString());
    try {
      Cli.Result r =
          cloze(task, "--overwrite")
              .expect(CrossoverCommand.EXIT_USAGE, "crossover cloze: error: --out: ");
      assertTrue(
          r.firstErrorLine().contains(run.resolve("identity.json").toString()), r.firstErrorLine());
    } finally {
      System.setProperty("crossover.home", before);
    }
    assertEquals(built, Files.readString(task));
  }

  @Test
  void overwriteSaysWhereItLookedAndWhatItReplaces() throws Exception {
    Path task = tmp.resolve("replaced.jsonl");
    String old =
        "{\"id\":\"a\",\"context\":\"It was\",\"choices\":[\"red\",\"blue\"],\"answer\":1}\n"
            + "{\"id\":\"b\",\"context\":\"It is\",\"choices\":[\"red\",\"blue\"],\"answer\":0}\n";
    Files.writeString(task, old);
    Path runs = Files.createDirectories(tmp.resolve("other-runs"));
    runOn(runs, "on-another-task", Files.writeString(tmp.resolve("another.jsonl"), old + "\n"));
    Cli.Result refused =
        cloze(task).expect(CrossoverCommand.EXIT_USAGE, "crossover cloze: error: --out: ");
    assertTrue(refused.firstErrorLine().contains("exists; pass --overwrite"), refused.err());
    assertEquals(old, Files.readString(task));
    Cli.Result r = cloze(task, "--overwrite", "--runs", runs.toString()).expect(0, null);
    assertTrue(
        r.out().contains("cloze: checked runs under ")
            && r.out().contains("file:" + runs)
            && r.out().contains(": no run records " + task),
        r.out());
    String sha = Sha256.hex(old.getBytes(StandardCharsets.UTF_8));
    assertTrue(
        r.out()
            .contains(
                "cloze: replacing " + task + " (sha256 " + sha.substring(0, 16) + "…, 2 items)"),
        r.out());
    assertEquals(40, Files.readAllLines(task).size());
  }

  @Test
  void aRunsDirectoryThatIsNotThereIsRefused() {
    Path missing = tmp.resolve("no-such-runs");
    cloze(tmp.resolve("never.jsonl"), "--runs", missing.toString())
        .expect(
            CrossoverCommand.EXIT_USAGE,
            "crossover cloze: error: --runs: "
                + missing
                + " does not exist; give a directory that holds runs (run.root)");
  }
}
