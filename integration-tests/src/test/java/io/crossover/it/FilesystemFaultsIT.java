package io.crossover.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.driver.cli.CrossoverCommand;
import io.crossover.driver.run.RunDir;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HDFS failing under a running job: a NameNode restart, a DataNode lost while a checkpoint is
 * written. Whatever the run does meanwhile, its resume ends bitwise where an undisturbed run does.
 */
class FilesystemFaultsIT {
  @TempDir static Path tmp;
  static Path dataset;
  static MiniHdfs hdfs;

  @BeforeAll
  static void start() throws Exception {
    FaultyDfs.install();
    // The client a run makes (RunDir.hadoopConf), which this JVM's cache of filesystems then holds.
    hdfs = new MiniHdfs(RunDir.hadoopConf());
    dataset = TinyBrown.write(tmp.resolve("dataset"));
    assertEquals(0, CrossoverCommand.execute(args(tmp.resolve("runs").toString(), "straight")));
  }

  @AfterAll
  static void stop() {
    if (hdfs != null) {
      hdfs.close();
    }
  }

  @AfterEach
  void noFaults() {
    FaultyDfs.reset();
  }

  /** This JVM's client of the cluster (a new one after FileSystem.closeAll). */
  static FileSystem fs() {
    try {
      return hdfs.cluster.getFileSystem();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A tiny run that checkpoints every 16 steps, plus {@code extra}. */
  static String[] args(String root, String run, String... extra) {
    String[] all = new String[extra.length + 2];
    all[0] = "--set";
    all[1] = "train.checkpoint-every=16";
    System.arraycopy(extra, 0, all, 2, extra.length);
    return TinyBrown.train(dataset, root, "ar", run, "128Ki", all);
  }

  /** Runs a command, returning its exit code and what it printed to stderr. */
  record Outcome(int code, String err) {}

  static Outcome execute(String... args) {
    PrintStream err = System.err;
    ByteArrayOutputStream said = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(said, true, StandardCharsets.UTF_8));
      return new Outcome(CrossoverCommand.execute(args), said.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(err);
    }
  }

  static void assertLikeTheUndisturbedRun(String run) throws Exception {
    Path straight = tmp.resolve("runs").resolve("straight").resolve("checkpoints/step-128");
    for (String file : List.of("model.safetensors", "optimizer.safetensors", "state.json")) {
      byte[] remote;
      try (var in =
          fs().open(
                  new org.apache.hadoop.fs.Path(
                      "/runs/" + run + "/checkpoints/step-128/" + file))) {
        remote = in.readAllBytes();
      }
      assertArrayEquals(Files.readAllBytes(straight.resolve(file)), remote, file);
    }
  }

  static long loggedSteps(String run) throws Exception {
    var file = new org.apache.hadoop.fs.Path("/runs/" + run + "/metrics.jsonl");
    if (!fs().exists(file)) {
      return 0;
    }
    try (var in = fs().open(file)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().count();
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Seen: the HDFS client rides out a NameNode restart (its calls are retried while the NameNode is
   * down), so the run goes on and ends DONE; were it to fail, it must say so in one line and resume
   * exactly.
   */
  @Test
  void aNameNodeRestartMidRunLosesNoStep() throws Exception {
    String root = hdfs.uri("/runs");
    CompletableFuture<Outcome> running =
        CompletableFuture.supplyAsync(() -> execute(args(root, "nn")));
    while (loggedSteps("nn") < 6 && !running.isDone()) {
      Thread.sleep(20);
    }
    assertFalse(running.isDone(), "the run ended before the NameNode restarted");
    hdfs.cluster.restartNameNode(true);
    Outcome first = running.get();
    System.out.println("after a NameNode restart: exit " + first.code() + " " + first.err());
    if (first.code() != 0) {
      assertEquals(1, first.code(), first.err());
      assertFalse(first.err().contains("\tat "), "no stack trace: " + first.err());
      assertEquals(0, execute(args(root, "nn", "--resume")).code());
    }
    assertTrue(fs().exists(new org.apache.hadoop.fs.Path("/runs/nn/DONE")));
    assertLikeTheUndisturbedRun("nn");
  }

  /**
   * The only DataNode dies as checkpoint step-32 is being written: the checkpoint is not published,
   * the run stops saying step-16 is intact, and once the DataNode is back the resume falls back to
   * step-16 and ends bitwise as the undisturbed run.
   */
  @Test
  void aDataNodeLostWhileACheckpointIsWrittenLeavesTheLastIntactOne() throws Exception {
    String root = hdfs.uri("/runs");
    AtomicBoolean struck = new AtomicBoolean();
    MiniDFSCluster.DataNodeProperties[] lost = new MiniDFSCluster.DataNodeProperties[1];
    FaultyDfs.beforeCreate =
        p -> {
          if (p.toString().contains("/dn/checkpoints/.step-32.tmp-")
              && struck.compareAndSet(false, true)) {
            lost[0] = hdfs.cluster.stopDataNode(0);
          }
        };
    Outcome failed = execute(args(root, "dn"));
    assertTrue(struck.get(), "the fault struck");
    assertEquals(1, failed.code(), failed.err());
    System.out.println("after a DataNode loss: " + failed.err());
    assertTrue(failed.err().contains("cannot write checkpoint step-32 to "), failed.err());
    assertTrue(failed.err().contains("the previous checkpoint step-16 is intact"), failed.err());
    assertFalse(failed.err().contains("\tat "), "no stack trace: " + failed.err());
    assertFalse(
        fs().exists(new org.apache.hadoop.fs.Path("/runs/dn/checkpoints/step-32")),
        "not published");

    FaultyDfs.reset();
    assertTrue(hdfs.cluster.restartDataNode(lost[0], true));
    hdfs.cluster.waitActive();
    // The failed command's process ends: its HDFS client, which still held metrics.jsonl open,
    // goes with it (one client per JVM here, so all of them go).
    FileSystem.closeAll();
    Outcome resumed = execute(args(root, "dn", "--resume"));
    assertEquals(0, resumed.code(), resumed.err());
    assertLikeTheUndisturbedRun("dn");
  }
}
