package io.crossover.driver.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.data.Failure;
import io.crossover.data.Json;
import io.crossover.data.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One writer per run: the lease, its takeover when stale, and the fence of older writers. */
class RunLeaseTest {
  @TempDir Path root;

  String run() {
    return root.resolve("ar-u16Ki").toString();
  }

  Path leaseFile() {
    return root.resolve(".ar-u16Ki.lease");
  }

  /** A lease file as another owner would have written it. */
  void foreignLease(String host, long pid, long ageMs) throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("token", "someone-else");
    m.put("generation", 1L);
    m.put("host", host);
    m.put("pid", pid);
    m.put("process_start", "2026-01-01T00:00:00Z");
    m.put("user", "ada");
    m.put("command", "crossover train --resume --run ar-u16Ki");
    m.put("taken", "2026-01-01T00:00:00Z");
    Files.writeString(leaseFile(), Json.write(m));
    Files.setLastModifiedTime(leaseFile(), FileTime.fromMillis(System.currentTimeMillis() - ageMs));
  }

  @Test
  void aSecondWriterIsRefusedNamingTheOwnerAndTheLeaseIsGoneAfterwards() {
    List<String> said = new ArrayList<>();
    try (RunLease first = RunLease.take(run(), RunDir.hadoopConf(), "train --run a", said::add)) {
      assertTrue(Files.exists(leaseFile()));
      UserException e =
          assertThrows(
              UserException.class,
              () -> RunLease.take(run(), RunDir.hadoopConf(), "train --resume", said::add));
      assertTrue(
          e.getMessage()
              .startsWith("run.name: file:" + run() + " is in use by `train --run a` of "),
          e.getMessage());
      assertTrue(e.getMessage().contains("(pid " + ProcessHandle.current().pid()), e.getMessage());
      assertTrue(
          e.getMessage().contains("`ps -p " + ProcessHandle.current().pid() + "` on this host"),
          e.getMessage());
      assertTrue(e.getMessage().contains("is taken over by the next command"), e.getMessage());
      assertNull(first.lost());
    }
    assertFalse(Files.exists(leaseFile()), "released");
    assertEquals(List.of(), said);
  }

  @Test
  void aLeaseThatMadeTheRunRootRemovesItWhenNothingElseCameIn() {
    String run = root.resolve("new-root").resolve("ar").toString();
    RunLease.take(run, RunDir.hadoopConf(), "train", s -> {}).close();
    assertFalse(Files.exists(root.resolve("new-root")), "a refused command leaves no empty root");
  }

  @Test
  void aLeaseWhoseHeartbeatStoppedIsTakenOverAndSaidSo() throws Exception {
    foreignLease("another-host", 4242, RunLease.TIMEOUT_MS + 30_000);
    List<String> said = new ArrayList<>();
    try (RunLease lease = RunLease.take(run(), RunDir.hadoopConf(), "sweep toy", said::add)) {
      assertEquals(1, said.size(), said.toString());
      assertTrue(
          said.get(0)
              .contains(
                  "took over file:"
                      + run()
                      + " from `crossover train --resume --run ar-u16Ki` of ada on another-host (pid 4242"),
          said.get(0));
      assertTrue(said.get(0).contains("whose last heartbeat was 90 s ago"), said.get(0));
      assertTrue(Files.readString(leaseFile()).contains("sweep toy"));
    }
  }

  @Test
  void aFreshLeaseOnAnotherHostIsNotTakenOver() throws Exception {
    foreignLease("another-host", 4242, 5_000);
    UserException e =
        assertThrows(
            UserException.class, () -> RunLease.take(run(), RunDir.hadoopConf(), "train", s -> {}));
    assertTrue(
        e.getMessage()
            .contains("`ps -p 4242` on another-host, or its application in the cluster manager"),
        e.getMessage());
    assertTrue(Files.readString(leaseFile()).contains("someone-else"), "left as it was");
  }

  @Test
  void anOwnerTwoHeartbeatsLateIsWaitedForThenTakenOver() throws Exception {
    foreignLease("another-host", 4242, RunLease.TIMEOUT_MS - 2_000);
    List<String> said = new ArrayList<>();
    try (RunLease lease = RunLease.take(run(), RunDir.hadoopConf(), "train", said::add)) {
      assertTrue(said.get(0).contains("last heartbeat 58 s ago; waiting "), said.toString());
      assertTrue(said.get(0).endsWith(" s for it to expire"), said.toString());
      assertTrue(said.get(1).contains("took over"), said.toString());
    }
  }

  @Test
  void aLeaseOfAProcessOfThisHostThatEndedIsTakenOverAtOnce() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    foreignLease(RunLease.host(), gone.pid(), 1_000);
    List<String> said = new ArrayList<>();
    try (RunLease lease = RunLease.take(run(), RunDir.hadoopConf(), "train", said::add)) {
      assertTrue(
          said.get(0).contains("whose process " + gone.pid() + " on this host has ended"),
          said.toString());
    }
  }

  @Test
  void anOwnerWhoseLeaseWasTakenOverFindsOutAndStops() throws Exception {
    RunLease paused = RunLease.take(run(), RunDir.hadoopConf(), "train", s -> {});
    // While it was paused past the timeout, another command took the run over.
    foreignLease("another-host", 7, 0);
    paused.beat();
    assertTrue(paused.lost().contains("lost the lease of"), paused.lost());
    Failure e = assertThrows(Failure.class, paused::check);
    assertTrue(
        e.getMessage().contains("to `crossover train --resume --run ar-u16Ki` of ada"),
        e.getMessage());
    paused.close();
    assertTrue(
        Files.readString(leaseFile()).contains("someone-else"), "the new owner's lease stays");
  }

  @Test
  void theWritesOfAnOlderAttemptAreFencedAndNothingIsWritten() throws Exception {
    Files.createDirectories(root.resolve("ar-u16Ki"));
    // The command (a driver) outlives its stage attempts: only a newer command fences it out.
    RunDir driver = RunDir.open(run(), RunDir.hadoopConf());
    driver.fence(new RunDir.Fence(100, RunDir.Fence.COMMAND), true);
    RunDir zombie = RunDir.open(run(), RunDir.hadoopConf());
    zombie.fence(new RunDir.Fence(100, 0), true);
    zombie.write("eval-progress.txt", "attempt 0\n");
    RunDir retry = RunDir.open(run(), RunDir.hadoopConf());
    retry.fence(new RunDir.Fence(100, 1), true);

    RunDir.StaleWriter e =
        assertThrows(RunDir.StaleWriter.class, () -> zombie.write("eval-progress.txt", "late\n"));
    assertTrue(
        e.getMessage()
            .startsWith(
                "refused to write eval-progress.txt in file:"
                    + run()
                    + ": this writer (stage attempt 0 of the command that took the run at "),
        e.getMessage());
    assertTrue(e.getMessage().contains("is stale, stage attempt 1 of"), e.getMessage());
    assertTrue(e.getMessage().endsWith("nothing was written"), e.getMessage());
    assertEquals("attempt 0\n", Files.readString(root.resolve("ar-u16Ki/eval-progress.txt")));

    driver.write("DONE", "");

    // An appended log finds out at its next flush: the line does not reach the file's readers.
    RunDir late = RunDir.open(run(), RunDir.hadoopConf());
    late.fence(new RunDir.Fence(100, 1), false);
    retry.fence(new RunDir.Fence(200, 0), true);
    Thread.sleep(1100);
    var out = late.appender("metrics.jsonl");
    out.write("{\"step\":1}\n");
    Exception flushed = assertThrows(IOException.class, out::flush);
    assertTrue(
        flushed.getMessage().contains("refused to write metrics.jsonl"), flushed.getMessage());

    assertThrows(RunDir.StaleWriter.class, () -> driver.write("DONE", ""));

    // A stage attempt that starts after a newer one refuses to start at all.
    RunDir older = RunDir.open(run(), RunDir.hadoopConf());
    RunDir.StaleWriter start =
        assertThrows(RunDir.StaleWriter.class, () -> older.fence(new RunDir.Fence(100, 2), true));
    assertTrue(start.getMessage().startsWith("refused to start writing"), start.getMessage());
    retry.write("eval-progress.txt", "attempt 1\n");
    assertEquals("attempt 1\n", Files.readString(root.resolve("ar-u16Ki/eval-progress.txt")));
  }
}
