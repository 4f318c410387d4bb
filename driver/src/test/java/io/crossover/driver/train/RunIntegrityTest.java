package io.crossover.driver.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.driver.cli.Cli;
import io.crossover.driver.cli.CliErrorsTest;
import io.crossover.driver.cli.CrossoverCommand;
import io.crossover.driver.run.RunDir;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.hdfs.protocol.HdfsConstants;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A run directory's integrity under the faults a user meets: a resume with other settings, a plan
 * over a run, a broken checkpoint, a full disk while checkpointing. Each fault is refused or
 * survived, and no file of the run is changed or lost by it.
 */
class RunIntegrityTest {
  @TempDir static Path tmp;

  @BeforeAll
  static void fixtures() throws Exception {
    CliErrorsTest.tmp = tmp;
    CliErrorsTest.FILES.clear();
    CliErrorsTest.fixtures();
  }

  /** Training arguments of the 16-step tiny run, checkpointing every 4 steps. */
  static String[] train(String run, String... more) throws Exception {
    List<String> args = new ArrayList<>(List.of("--set", "train.checkpoint-every=4"));
    args.addAll(List.of(more));
    return CliErrorsTest.resolve(CliErrorsTest.train("ar", run, args.toArray(new String[0])));
  }

  static Path run(String name) {
    return tmp.resolve("runs").resolve(name);
  }

  /** Every file under {@code dir} with its bytes. */
  static Map<String, byte[]> snapshot(Path dir) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        out.put(dir.relativize(f).toString(), Files.readAllBytes(f));
      }
    }
    return out;
  }

  static void assertUnchanged(Map<String, byte[]> before, Path dir) throws IOException {
    Map<String, byte[]> after = snapshot(dir);
    assertEquals(before.keySet(), after.keySet(), "the same files");
    for (String f : before.keySet()) {
      assertArrayEquals(before.get(f), after.get(f), f + " unchanged");
    }
  }

  /** The final model of an uninterrupted run, made once. */
  static byte[] straightModel() throws Exception {
    Path model = run("straight").resolve("checkpoints/step-16/model.safetensors");
    if (!Files.exists(model)) {
      Cli.run(train("straight")).expect(0, null);
    }
    return Files.readAllBytes(model);
  }

  @Test
  void aResumeWithAnotherBudgetOrLearningRateIsRefusedAndChangesNothing() throws Exception {
    Cli.run(train("budget", "--set", "train.stop-after-steps=8")).expect(0, null);
    Map<String, byte[]> before = snapshot(run("budget"));
    Cli.Result r =
        Cli.run(train("budget", "--resume", "--unique-tokens", "2048", "--lr", "1e-3"))
            .expect(CrossoverCommand.EXIT_USAGE, "crossover train: error: run.name: ");
    assertTrue(r.err().contains("was made with other settings; resuming it would mix"), r.err());
    assertTrue(r.err().contains("\n  budget.unique-tokens: run 1024, now 2048\n"), r.err());
    assertTrue(r.err().contains("\n  optim.lr: run 0.003, now 0.001\n"), r.err());
    assertTrue(r.err().contains("--overwrite") && r.err().contains("--run NAME"), r.err());
    assertUnchanged(before, run("budget"));
    // What may change on resume does: logging, checkpoint interval, threads.
    Cli.run(train("budget", "--resume", "--set", "train.log-every=3", "--set", "train.threads=2"))
        .expect(0, null);
    assertArrayEquals(
        straightModel(),
        Files.readAllBytes(run("budget").resolve("checkpoints/step-16/model.safetensors")));
    assertArrayEquals(
        before.get("config.json"), Files.readAllBytes(run("budget").resolve("config.json")));
  }

  @Test
  void aGroupedQueryModelResumesBitwiseKeepsItsKeyValueHeadsAndExportsThem() throws Exception {
    String[] gqa = {"--set", "model.kv-heads=2"};
    Cli.run(train("gqa-straight", gqa)).expect(0, null);
    Cli.run(train("gqa-split", concat(gqa, "--set", "train.stop-after-steps=8"))).expect(0, null);
    // The key/value heads are part of the run's identity: a resume with others is refused.
    Map<String, byte[]> before = snapshot(run("gqa-split"));
    Cli.Result r =
        Cli.run(train("gqa-split", "--resume"))
            .expect(CrossoverCommand.EXIT_USAGE, "crossover train: error: run.name: ");
    assertTrue(r.err().contains("\n  model.kv-heads: run 2, now 4\n"), r.err());
    assertUnchanged(before, run("gqa-split"));
    Cli.run(train("gqa-split", concat(gqa, "--resume"))).expect(0, null);
    byte[] straight =
        Files.readAllBytes(run("gqa-straight").resolve("checkpoints/step-16/model.safetensors"));
    assertArrayEquals(
        straight,
        Files.readAllBytes(run("gqa-split").resolve("checkpoints/step-16/model.safetensors")));
    assertTrue(straight.length < straightModel().length, "fewer key/value weights");
    Path out = tmp.resolve("gqa-export");
    Cli.run("export", "--checkpoint", run("gqa-straight").toString(), "--out", out.toString())
        .expect(0, null);
    String hf = Files.readString(out.resolve("config.json"));
    assertTrue(hf.contains("\"num_attention_heads\" : 4"), hf);
    assertTrue(hf.contains("\"num_key_value_heads\" : 2"), hf);
  }

  @Test
  void recomputedActivationsTrainBitwiseTheSameModelAndMaySwitchOnResume() throws Exception {
    Cli.run(
            train(
                "recompute",
                "--set",
                "train.recompute=blocks",
                "--set",
                "train.stop-after-steps=8"))
        .expect(0, null);
    // Only how backward gets its activations changes: a resume may switch it off.
    Cli.run(train("recompute", "--resume", "--set", "train.recompute=none")).expect(0, null);
    assertArrayEquals(
        straightModel(),
        Files.readAllBytes(run("recompute").resolve("checkpoints/step-16/model.safetensors")));
  }

  @Test
  void aResumeOnADatasetIngestedAgainIsRefused() throws Exception {
    Cli.run(train("dataset", "--set", "train.stop-after-steps=4")).expect(0, null);
    Map<String, byte[]> before = snapshot(run("dataset"));
    Path manifest = Path.of(CliErrorsTest.FILES.get("DATASET")).resolve("manifest.json");
    String original = Files.readString(manifest);
    try {
      Files.writeString(manifest, original.replace("\"test\"", "\"test-again\""));
      Cli.Result r =
          Cli.run(train("dataset", "--resume"))
              .expect(CrossoverCommand.EXIT_USAGE, "crossover train: error: run.name: ");
      assertTrue(r.err().contains("data.dataset contents (manifest.json SHA-256)"), r.err());
    } finally {
      Files.writeString(manifest, original);
    }
    assertUnchanged(before, run("dataset"));
  }

  @Test
  void planNeverChangesARun() throws Exception {
    Cli.run(train("planned-over", "--set", "train.stop-after-steps=4")).expect(0, null);
    Map<String, byte[]> before = snapshot(run("planned-over"));
    Cli.run(
            CliErrorsTest.resolve(
                CliErrorsTest.plan("--run", "planned-over", "--unique-tokens", "2048")))
        .expect(CrossoverCommand.EXIT_USAGE, "crossover plan: error: run.name: ");
    assertUnchanged(before, run("planned-over"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"model.safetensors", "optimizer.safetensors", "state.json"})
  void aBrokenLatestCheckpointFallsBackToTheNewestIntactOne(String victim) throws Exception {
    String name = "broken-" + victim.replace('.', '-');
    Cli.run(train(name, "--set", "train.stop-after-steps=12")).expect(0, null);
    Path file = run(name).resolve("checkpoints/step-12").resolve(victim);
    if (victim.equals("model.safetensors")) {
      try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
        f.setLength(f.length() / 2); // truncated
      }
    } else {
      byte[] bytes = Files.readAllBytes(file);
      bytes[bytes.length / 2] ^= 0x20; // one flipped bit
      Files.write(file, bytes);
    }
    byte[] brokenBytes = Files.readAllBytes(file);
    Cli.Result r = Cli.run(train(name, "--resume")).expect(0, null);
    assertTrue(r.out().contains("resume: checkpoint step-12 is broken: " + victim + ": "), r.out());
    assertTrue(
        r.out().contains("resume: moved the broken checkpoint step-12 aside to broken-step-12-"),
        r.out());
    assertTrue(r.out().contains("(step 8)"), "resumed from step 8\n" + r.out());
    // The broken files are kept (moved aside), the run ends as an uninterrupted one does.
    try (Stream<Path> dirs = Files.list(run(name).resolve("checkpoints"))) {
      Path aside =
          dirs.filter(p -> p.getFileName().toString().startsWith("broken-step-12-"))
              .findFirst()
              .orElseThrow();
      assertArrayEquals(brokenBytes, Files.readAllBytes(aside.resolve(victim)));
    }
    assertArrayEquals(
        straightModel(),
        Files.readAllBytes(run(name).resolve("checkpoints/step-16/model.safetensors")));
  }

  /** Resume is exact in each training precision; and the precisions do compute differently. */
  @Test
  void aResumeIsExactInEachPrecision() throws Exception {
    Map<String, byte[]> finals = new TreeMap<>();
    for (String precision : List.of("fp32", "bf16")) {
      String set = "train.precision=" + precision;
      String straight = "straight-" + precision;
      String resumed = "resumed-" + precision;
      Cli.run(train(straight, "--set", set)).expect(0, null);
      Cli.run(train(resumed, "--set", set, "--set", "train.stop-after-steps=8")).expect(0, null);
      Cli.Result r = Cli.run(train(resumed, "--set", set, "--resume")).expect(0, null);
      assertTrue(r.out().contains("Numerics: train " + precision), r.out());
      byte[] model =
          Files.readAllBytes(run(straight).resolve("checkpoints/step-16/model.safetensors"));
      assertArrayEquals(
          model,
          Files.readAllBytes(run(resumed).resolve("checkpoints/step-16/model.safetensors")),
          precision + ": the resumed run's final model equals the uninterrupted one's");
      finals.put(precision, model);
    }
    assertFalse(
        Arrays.equals(finals.get("fp32"), finals.get("bf16")),
        "bf16 and fp32 runs must not be the same computation");
  }

  @Test
  void withNoIntactCheckpointTheResumeFailsNamingEveryBrokenFileAndMovesNothing() throws Exception {
    Cli.run(train("all-broken", "--set", "train.stop-after-steps=8")).expect(0, null);
    for (String step : List.of("step-4", "step-8")) {
      Path f = run("all-broken").resolve("checkpoints").resolve(step).resolve("model.safetensors");
      try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
        raf.setLength(100);
      }
    }
    Map<String, byte[]> before = snapshot(run("all-broken"));
    Cli.Result r =
        Cli.run(train("all-broken", "--resume"))
            .expect(
                CrossoverCommand.EXIT_FAILURE, "crossover train: failed: no intact checkpoint in ");
    assertTrue(
        r.firstErrorLine().contains("step-8/model.safetensors: truncated: 100 of "), r.err());
    assertTrue(
        r.firstErrorLine().contains("step-4/model.safetensors: truncated: 100 of "), r.err());
    assertUnchanged(before, run("all-broken"));
  }

  @Test
  void anInterruptedCheckpointSaveIsRemovedByTheNextResume() throws Exception {
    Cli.run(train("stale", "--set", "train.stop-after-steps=4")).expect(0, null);
    Path stale = Files.createDirectories(run("stale").resolve("checkpoints/.step-8.tmp-0123"));
    Files.writeString(stale.resolve("model.safetensors"), "half");
    Cli.Result r = Cli.run(train("stale", "--resume")).expect(0, null);
    assertTrue(
        r.out()
            .contains(
                "resume: removed 1 unfinished checkpoint save(s) of an interrupted run: .step-8.tmp-0123"),
        r.out());
    assertFalse(Files.exists(stale));
  }

  @Test
  void aFullDiskAtACheckpointEndsWithOneLineAndTheRunResumesExactly() throws Exception {
    Configuration conf = new Configuration();
    MiniDFSCluster cluster =
        new MiniDFSCluster.Builder(conf, tmp.resolve("minidfs").toFile()).numDataNodes(1).build();
    try {
      cluster.waitActive();
      DistributedFileSystem dfs = cluster.getFileSystem();
      String root = dfs.getUri() + "/runs";
      String[] args = withRoot(train("full"), root);
      Cli.run(concat(args, "--set", "train.stop-after-steps=4")).expect(0, null);
      org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path("/runs/full");
      Map<String, byte[]> before = snapshot(dfs, dir);
      // Room for the block of metrics.jsonl the resumed run appends to (HDFS charges a block
      // being written in full, times its replication), not for the next checkpoint's first block.
      FileStatus log = dfs.getFileStatus(new org.apache.hadoop.fs.Path(dir, "metrics.jsonl"));
      long block = log.getBlockSize() * log.getReplication();
      long used = dfs.getContentSummary(new org.apache.hadoop.fs.Path("/runs")).getSpaceConsumed();
      dfs.setQuota(
          new org.apache.hadoop.fs.Path("/runs"),
          HdfsConstants.QUOTA_DONT_SET,
          used + block + block / 2);
      Cli.Result r =
          Cli.run(concat(args, "--resume"))
              .expect(
                  CrossoverCommand.EXIT_FAILURE,
                  "crossover train: failed: cannot write checkpoint step-8 to hdfs://");
      String line = r.firstErrorLine();
      assertTrue(line.contains("quota"), line);
      assertTrue(line.contains("the previous checkpoint step-4 is intact"), line);
      assertTrue(line.contains("then resume: ") && line.endsWith(" --resume"), line);
      Map<String, byte[]> after = snapshot(dfs, dir);
      for (String f : before.keySet()) {
        // The logs grew by the steps after the checkpoint; .fence names the resume as the writer.
        if (!f.endsWith(".jsonl") && !f.equals(RunDir.FENCE)) {
          assertArrayEquals(before.get(f), after.get(f), f + " unchanged");
        }
      }
      dfs.setQuota(
          new org.apache.hadoop.fs.Path("/runs"),
          HdfsConstants.QUOTA_DONT_SET,
          HdfsConstants.QUOTA_RESET);
      Cli.run(concat(args, "--resume")).expect(0, null);
      try (var in =
          dfs.open(new org.apache.hadoop.fs.Path(dir, "checkpoints/step-16/model.safetensors"))) {
        assertArrayEquals(straightModel(), in.readAllBytes(), "resumed exactly");
      }
    } finally {
      cluster.shutdown();
    }
  }

  private static String[] withRoot(String[] args, String root) {
    String[] out = args.clone();
    for (int i = 0; i < out.length; i++) {
      if (out[i].startsWith("run.root=")) {
        out[i] = "run.root=" + root;
      }
    }
    return out;
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static Map<String, byte[]> snapshot(
      DistributedFileSystem fs, org.apache.hadoop.fs.Path dir) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    var it = fs.listFiles(dir, true);
    while (it.hasNext()) {
      var f = it.next().getPath();
      try (var in = fs.open(f)) {
        out.put(
            f.toUri().getPath().substring(dir.toUri().getPath().length() + 1), in.readAllBytes());
      }
    }
    return out;
  }

  // A refused command leaves nothing behind (issue: the advice it gives must work as given).

  @Test
  void aTrainRefusedForItsTaskFileLeavesNoRunDirectoryAndTheFixedFileThenTrains() throws Exception {
    Path task = tmp.resolve("fixable.jsonl");
    String item = "{\"id\":\"a\",\"context\":\"It was\",\"choices\":[\"red\",\"blue\"],";
    Files.writeString(task, item + "\"answer\":7}\n");
    String tasks = "eval.tasks=[\"t=mc:" + task + "\"]";
    Cli.run(train("fixable", "--set", tasks))
        .expect(CrossoverCommand.EXIT_USAGE, "crossover train: error: file:" + task);
    assertFalse(Files.exists(run("fixable")), "no run directory after a refusal");
    // The fix the message asks for: correct the file in place, run the same command.
    Files.writeString(task, item + "\"answer\":1}\n");
    Cli.run(train("fixable", "--set", tasks, "--set", "train.stop-after-steps=4")).expect(0, null);
    assertTrue(Files.exists(run("fixable").resolve("checkpoints/step-4")));
  }

  @Test
  void aPlanRefusedForItsTaskFileWritesNothing() throws Exception {
    Path task = tmp.resolve("broken-for-plan.jsonl");
    Files.writeString(
        task, "{\"id\":\"a\",\"context\":\"x\",\"choices\":[\"a\",\"a\"],\"answer\":0}\n");
    Cli.run(
            CliErrorsTest.resolve(
                CliErrorsTest.plan(
                    "--run", "plan-refused", "--set", "eval.tasks=[\"t=mc:" + task + "\"]")))
        .expect(CrossoverCommand.EXIT_USAGE, "crossover plan: error: ");
    assertFalse(Files.exists(run("plan-refused")));
  }

  @Test
  void aRunThatFailsBeforeItsFirstStepLeavesNothingAndAnOverwrittenRunComesBack() throws Exception {
    // Damaged data found at step 0: a failure (exit 1), and no run directory made by it.
    String[] bad = {"--dataset", "BAD_IDS", "--set", "reader.verify-checksums=false"};
    Cli.run(train("damaged", bad))
        .expect(
            CrossoverCommand.EXIT_FAILURE, "crossover train: failed: rank 0 cannot read step 0: ");
    assertFalse(Files.exists(run("damaged")));
    // --overwrite of a trained run that then fails before its first step: the run comes back.
    Cli.run(train("kept", "--set", "train.stop-after-steps=4")).expect(0, null);
    Map<String, byte[]> before = snapshot(run("kept"));
    List<String> args = new ArrayList<>(List.of(bad));
    args.add("--overwrite");
    Cli.run(train("kept", args.toArray(new String[0]))).expect(CrossoverCommand.EXIT_FAILURE, null);
    assertUnchanged(before, run("kept"));
    try (Stream<Path> siblings = Files.list(run("kept").getParent())) {
      assertTrue(
          siblings.noneMatch(p -> p.getFileName().toString().startsWith(".kept.replaced")),
          "nothing left aside");
    }
  }

  // No legacy path around identity or checksums.

  @Test
  void aRunWithoutItsIdentityIsRefusedUnlessTheUserAcceptsWhatThatGivesUp() throws Exception {
    Cli.run(train("no-identity", "--set", "train.stop-after-steps=8")).expect(0, null);
    Files.delete(run("no-identity").resolve("identity.json"));
    Map<String, byte[]> before = snapshot(run("no-identity"));
    Cli.Result r =
        Cli.run(train("no-identity", "--resume"))
            .expect(CrossoverCommand.EXIT_FAILURE, "crossover train: failed: ");
    assertTrue(r.firstErrorLine().contains("identity.json is missing"), r.err());
    assertTrue(r.firstErrorLine().contains("--accept-missing-identity"), r.err());
    assertUnchanged(before, run("no-identity"));
    Cli.run(train("no-identity", "--resume", "--accept-missing-identity")).expect(0, null);
    assertTrue(Files.exists(run("no-identity").resolve("identity.json")), "recorded now");
    assertArrayEquals(
        straightModel(),
        Files.readAllBytes(run("no-identity").resolve("checkpoints/step-16/model.safetensors")));
  }

  @Test
  void aCheckpointWithoutChecksumsIsDamageUnlessTheUserTakesItAsItIs() throws Exception {
    Cli.run(train("no-sums", "--set", "train.stop-after-steps=4")).expect(0, null);
    Path step = run("no-sums").resolve("checkpoints/step-4");
    Files.delete(step.resolve("checksums.json"));
    // With a byte of the weights flipped, nothing may load them silently.
    Path weights = step.resolve("model.safetensors");
    byte[] good = Files.readAllBytes(weights);
    byte[] flipped = good.clone();
    flipped[flipped.length - 3] ^= 0x10;
    Files.write(weights, flipped);
    Map<String, byte[]> before = snapshot(run("no-sums"));
    Cli.Result r =
        Cli.run(train("no-sums", "--resume"))
            .expect(
                CrossoverCommand.EXIT_FAILURE, "crossover train: failed: no intact checkpoint in ");
    assertTrue(r.firstErrorLine().contains("checksums.json: missing"), r.err());
    assertUnchanged(before, run("no-sums"));
    String[] eval = {"eval", "--checkpoint", step.toString(), "--max-items", "2"};
    Cli.Result e = Cli.run(eval).expect(CrossoverCommand.EXIT_FAILURE, "crossover eval: failed: ");
    assertTrue(e.firstErrorLine().contains("checksums.json is missing"), e.err());
    // Taken as it is (the intact bytes back): the resume records the checksums and goes on.
    Files.write(weights, good);
    Cli.run(train("no-sums", "--resume", "--accept-unverified-checkpoint")).expect(0, null);
    assertTrue(Files.exists(step.resolve("checksums.json")), "recorded when accepted");
    assertArrayEquals(
        straightModel(),
        Files.readAllBytes(run("no-sums").resolve("checkpoints/step-16/model.safetensors")));
  }

  @Test
  void clozeNeverReplacesAFileWithoutOverwriteNorOneARunsIdentityRefersTo() throws Exception {
    Path task = tmp.resolve("used-task.jsonl");
    String item =
        "{\"id\":\"a\",\"context\":\"It was\",\"choices\":[\"red\",\"blue\"],\"answer\":1}\n";
    Files.writeString(task, item);
    Cli.run(
            train(
                "uses-task",
                "--set",
                "eval.tasks=[\"t=mc:" + task + "\"]",
                "--set",
                "train.stop-after-steps=4"))
        .expect(0, null);
    String[] cloze = {
      "cloze",
      "--dataset",
      CliErrorsTest.FILES.get("DATASET"),
      "--out",
      task.toString(),
      "--set",
      "run.root=" + tmp.resolve("runs")
    };
    Cli.Result r =
        Cli.run(cloze).expect(CrossoverCommand.EXIT_USAGE, "crossover cloze: error: --out: ");
    assertTrue(r.firstErrorLine().contains("is the task file of 1 run(s)"), r.err());
    assertTrue(r.firstErrorLine().contains("uses-task"), r.err());
    List<String> overwrite = new ArrayList<>(List.of(cloze));
    overwrite.add("--overwrite");
    Cli.run(overwrite.toArray(new String[0]))
        .expect(CrossoverCommand.EXIT_USAGE, "crossover cloze: error: --out: ");
    assertEquals(item, Files.readString(task), "the task file a run measured on is kept");
    Path other = Files.writeString(tmp.resolve("other-task.jsonl"), item);
    String[] plain = cloze.clone();
    plain[4] = other.toString();
    Cli.Result o =
        Cli.run(plain).expect(CrossoverCommand.EXIT_USAGE, "crossover cloze: error: --out: ");
    assertTrue(o.firstErrorLine().contains("exists; pass --overwrite"), o.err());
    assertEquals(item, Files.readString(other));
  }
}
