package io.crossover.driver.run;

import io.crossover.data.Failure;
import io.crossover.data.Json;
import io.crossover.data.UserException;
import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.shard.Filesystems;
import io.crossover.executor.allreduce.Collective;
import io.crossover.executor.checkpoint.Checkpoints;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.optim.Optimizer;
import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.DistributedFileSystem;

/**
 * A run directory, {@code run.root/run.name}, on any Hadoop filesystem. Its {@code config.json} and
 * {@code identity.json} are written once, when the run is made, and never changed: a run that goes
 * on (resumed, or trained after {@code plan} made it) must have the same identity ({@link
 * RunIdentity}).
 */
public final class RunDir {
  private final FileSystem fs;
  private final Path dir;

  /** This invocation made the directory: a refusal before training starts removes it. */
  private boolean created;

  /** Where a run that --overwrite replaces waits until training starts (then it is deleted). */
  private Path replaced;

  /** The writer this handle writes for; null until training starts (and for readers). */
  private volatile Fence fence;

  /** When an appended log last found the fence in place (logs check at most once a second). */
  private volatile long fenceSeenAt;

  /** The file holding the newest writer's {@link Fence}. */
  public static final String FENCE = ".fence";

  /**
   * Who writes a run, in order: the {@link RunLease#generation()} of the command that trains it,
   * then the barrier-stage attempt of its ranks ({@link #COMMAND} for the command itself, which
   * outlives its stage attempts). A writer older than the one in {@link #FENCE} is refused: a stage
   * attempt Spark gave up on but whose task still runs, or a process that lost its lease while
   * paused.
   */
  public record Fence(long generation, int attempt) implements Comparable<Fence> {
    /** The attempt of the command's own writes (the driver's, or a run in one process). */
    public static final int COMMAND = -1;

    @Override
    public int compareTo(Fence o) {
      int g = Long.compare(generation, o.generation);
      return g != 0 ? g : Integer.compare(attempt, o.attempt);
    }

    /** Whether {@code current} has taken the run over from this writer. */
    boolean fencedOutBy(Fence current) {
      return current.generation > generation
          || (current.generation == generation && attempt != COMMAND && current.attempt > attempt);
    }

    @Override
    public String toString() {
      return (attempt == COMMAND ? "" : "stage attempt " + attempt + " of ")
          + "the command that took the run at "
          + Instant.ofEpochMilli(generation);
    }
  }

  /** A write refused because a newer writer has taken the run over. */
  public static final class StaleWriter extends Failure {
    private static final long serialVersionUID = 1L;

    StaleWriter(String message) {
      super(message, null);
    }
  }

  private RunDir(FileSystem fs, Path dir) {
    this.fs = fs;
    this.dir = dir;
  }

  /** What to do with a directory that already holds a run. */
  public enum Existing {
    /** Refuse a trained run; go on with a planned one of the same identity. */
    REFUSE,
    /** Delete it and start afresh. */
    REPLACE,
    /** Go on with it (resume), if its identity is the same. */
    KEEP
  }

  /** What a run directory holds. */
  enum State {
    /** Nothing yet (or not there). */
    NEW,
    /** config.json from {@code plan}, never trained. */
    PLANNED,
    /** Training started (metrics.jsonl) or finished (DONE). */
    TRAINED
  }

  /**
   * How to start a run again, said in the messages that refuse to go on with one: for {@code
   * train}, {@code --overwrite} or another {@code --run}; for a sweep, removing its directory.
   *
   * @param startAgain what starts it afresh, e.g. "start it again with --overwrite"
   * @param acceptMissingIdentity go on with a run whose identity.json is missing, recording the
   *     hashes of the data and tasks given now (what the user gives up: telling them from others)
   */
  public record Restart(String startAgain, boolean acceptMissingIdentity) {
    public static final Restart TRAIN =
        new Restart(
            "start it again with --overwrite, or give this run a new name with --run NAME", false);
  }

  /**
   * Opens the run directory of {@code config} for training, or creates it: writes config.json and
   * identity.json for a new run, checks them for an existing one (a difference is a {@link
   * UserException} naming each key; a missing identity.json is damage, a {@link Failure}). A run
   * that {@link Existing#REPLACE} replaces is moved aside, not deleted, until {@link #commit()}: a
   * refusal before training starts ({@link #abandon()}) puts it back.
   */
  public static RunDir create(
      CrossoverConfig config,
      RunIdentity.Hashes hashes,
      Configuration hadoop,
      Existing existing,
      String action,
      Restart restart) {
    Path path = new Path(config.run().root(), config.run().name());
    try {
      FileSystem fs = Filesystems.of(path, hadoop);
      RunDir run = new RunDir(fs, fs.makeQualified(path));
      State state = run.state();
      if (state == State.TRAINED && existing == Existing.REFUSE) {
        throw new UserException(
            "run.name: "
                + run.dir
                + " already holds a training run; pass --resume to continue it, --overwrite to"
                + " replace it, or choose another --run name");
      }
      if (state != State.NEW && existing == Existing.REPLACE) {
        Path aside =
            new Path(
                run.dir.getParent(),
                "." + run.dir.getName() + ".replaced-" + System.currentTimeMillis());
        if (!fs.rename(run.dir, aside)) {
          throw new IOException("cannot move " + run.dir + " aside to " + aside);
        }
        run.replaced = aside;
        state = State.NEW;
      }
      if (state == State.NEW) {
        run.created = !fs.exists(run.dir);
        fs.mkdirs(run.dir);
        run.write(RunIdentity.FILE, RunIdentity.toJson(hashes));
        run.write("config.json", ConfigLoader.toJson(config));
      } else {
        run.checkIdentity(config, hashes, action, restart);
      }
      return run;
    } catch (IOException e) {
      throw new Failure("run.root: cannot create " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Training has started: the run this one replaced (if any) is deleted, and the directory stays
   * whatever happens next.
   */
  public void commit() {
    created = false;
    if (replaced != null) {
      try {
        fs.delete(replaced, true);
      } catch (IOException e) {
        throw new Failure("cannot delete the replaced run " + replaced + ": " + e.getMessage(), e);
      }
      replaced = null;
    }
  }

  /**
   * Training was refused before it started: what this invocation made goes, and a run it was to
   * replace comes back, so that the command's advice can be followed as given.
   */
  public void abandon() {
    try {
      if (created || replaced != null) {
        fs.delete(dir, true);
      }
      if (replaced != null && !fs.rename(replaced, dir)) {
        throw new IOException("cannot move " + replaced + " back to " + dir);
      }
    } catch (IOException e) {
      throw new Failure("cannot undo " + dir + ": " + e.getMessage(), e);
    } finally {
      created = false;
      replaced = null;
    }
  }

  /**
   * From now on writes through this handle are {@code mine}'s, refused once a newer writer fences
   * the run; with {@code advance}, this writer fences out the older ones (it is refused itself when
   * a newer one already has).
   */
  public void fence(Fence mine, boolean advance) {
    fence = mine;
    Fence current = currentFence();
    if (current != null && mine.fencedOutBy(current)) {
      throw stale(current, "start");
    }
    if (advance && (current == null || mine.compareTo(current) > 0)) {
      // A temporary name per attempt: ranks of two attempts may fence at the same moment.
      replace(
          FENCE,
          FENCE + "." + mine.attempt() + ".tmp",
          Json.write(Map.of("generation", mine.generation(), "attempt", mine.attempt())));
    }
    fenceSeenAt = System.currentTimeMillis();
  }

  /** The writer this handle writes for, or null. */
  public Fence fence() {
    return fence;
  }

  /** How long a fence read is retried: a NameNode restart takes seconds. */
  private static final long FENCE_RETRY_MS = 30_000;

  private Fence currentFence() {
    Path file = new Path(dir, FENCE);
    long giveUp = System.currentTimeMillis() + FENCE_RETRY_MS;
    while (true) {
      try (var in = fs.open(file)) {
        var n = Json.MAPPER.readTree(in);
        return new Fence(n.path("generation").asLong(), n.path("attempt").asInt());
      } catch (FileNotFoundException e) {
        return null;
      } catch (IOException e) {
        if (System.currentTimeMillis() > giveUp) {
          throw new Failure(
              "cannot read "
                  + file
                  + " for "
                  + FENCE_RETRY_MS / 1000
                  + " s (is the filesystem up?): "
                  + String.valueOf(e.getMessage()).lines().findFirst().orElse(""),
              e);
        }
        try {
          Thread.sleep(1000);
        } catch (InterruptedException stop) {
          Thread.currentThread().interrupt();
          throw new Failure("interrupted while reading " + file, stop);
        }
      }
    }
  }

  /** Refuses to write {@code what} when a newer writer has fenced the run; nothing is written. */
  private void checkFence(String what) {
    Fence mine = fence;
    if (mine == null) {
      return;
    }
    Fence current = currentFence();
    if (current != null && mine.fencedOutBy(current)) {
      throw stale(current, what);
    }
    fenceSeenAt = System.currentTimeMillis();
  }

  private StaleWriter stale(Fence current, String what) {
    return new StaleWriter(
        "refused to "
            + (what.equals("start") ? "start writing " + dir : "write " + what + " in " + dir)
            + ": this writer ("
            + fence
            + ") is stale, "
            + current
            + " has taken the run over; nothing was written");
  }

  /** Refuses (before any work) to plan into a run directory that exists: plan never changes one. */
  public static void refuseExistingForPlan(CrossoverConfig config, Configuration hadoop) {
    Path path = new Path(config.run().root(), config.run().name());
    try {
      FileSystem fs = Filesystems.of(path, hadoop);
      if (fs.exists(path)
          && (!fs.getFileStatus(path).isDirectory() || fs.listStatus(path).length > 0)) {
        throw new UserException(
            "run.name: "
                + fs.makeQualified(path)
                + " already exists, and plan never changes a run directory; choose another --run"
                + " NAME, or add --dry-run to print the plan without saving it");
      }
    } catch (IOException e) {
      throw new Failure("run.root: cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  private State state() throws IOException {
    if (fs.exists(new Path(dir, "metrics.jsonl")) || fs.exists(new Path(dir, "DONE"))) {
      return State.TRAINED;
    }
    return fs.exists(new Path(dir, "config.json")) ? State.PLANNED : State.NEW;
  }

  private void checkIdentity(
      CrossoverConfig config, RunIdentity.Hashes hashes, String action, Restart restart)
      throws IOException {
    Path identity = new Path(dir, RunIdentity.FILE);
    RunIdentity.Hashes saved = fs.exists(identity) ? RunIdentity.fromJson(read(identity)) : null;
    if (saved == null && !restart.acceptMissingIdentity()) {
      // Every run this version makes has one: its absence is damage, not an old format.
      throw new Failure(
          identity
              + " is missing: it holds the SHA-256 of the dataset's manifest and of each task file"
              + " this run was made with, without which "
              + action
              + " cannot tell the same data from other data. Pass --accept-missing-identity to go"
              + " on with the data and tasks given now (their hashes are then recorded), or "
              + restart.startAgain());
    }
    List<String> differences =
        RunIdentity.differences(read(new Path(dir, "config.json")), saved, config, hashes);
    if (!differences.isEmpty()) {
      throw RunIdentity.refusal(dir.toString(), differences, action, restart.startAgain());
    }
    if (saved == null) {
      // Accepted as it is: record the hashes of what it goes on with.
      write(RunIdentity.FILE, RunIdentity.toJson(hashes));
    }
  }

  private String read(Path file) throws IOException {
    try (var in = fs.open(file)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static {
    installHadoopDefaults();
  }

  /**
   * Makes {@code crossover-hadoop.xml} a default resource of every Hadoop configuration in this
   * JVM. A filesystem client is cached with the configuration that first opened it, so settings
   * given to one configuration only would hold or not depending on which code opened it first.
   */
  public static void installHadoopDefaults() {
    // Between HDFS's defaults and its site file: a later resource wins, and HdfsConfiguration,
    // once loaded, would add hdfs-default.xml after ours (a repeated name is not added again).
    Configuration.addDefaultResource("hdfs-default.xml");
    Configuration.addDefaultResource("crossover-hadoop.xml");
    Configuration.addDefaultResource("hdfs-site.xml");
  }

  /** The Hadoop configuration for run directories (with {@link #installHadoopDefaults()}'s). */
  public static Configuration hadoopConf() {
    return new Configuration();
  }

  /** An existing run directory, opened without writing anything (executors use this). */
  public static RunDir open(String dir, Configuration hadoop) {
    try {
      Path path = new Path(dir);
      FileSystem fs = Filesystems.of(path, hadoop);
      return new RunDir(fs, fs.makeQualified(path));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open run directory " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Opens a file of the run for appending lines (created if missing). */
  public Writer appender(String name) {
    Path file = new Path(dir, name);
    try {
      FSDataOutputStream stream = fs.exists(file) ? fs.append(file) : fs.create(file, false);
      // hflush on every flush: the driver (and people) read these logs while the run goes on.
      OutputStream visible =
          new FilterOutputStream(stream) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
              stream.write(b, off, len);
            }

            @Override
            public void flush() throws IOException {
              if (System.currentTimeMillis() - fenceSeenAt > 1000) {
                try {
                  checkFence(name);
                } catch (StaleWriter e) {
                  throw new IOException(e.getMessage(), e);
                }
              }
              stream.hflush();
            }
          };
      return new OutputStreamWriter(visible, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Saves a checkpoint of {@code steps} steps done. A failure (a full disk) leaves the previous
   * checkpoints as they were, and says so with the command that resumes from the last of them.
   */
  public Path checkpoint(
      long steps, long tokensSeen, CrossoverConfig config, Transformer model, Optimizer adam) {
    checkFence("checkpoint step-" + steps);
    try {
      return Checkpoints.save(
          fs,
          dir,
          new Checkpoints.State(steps, adam.step(), tokensSeen, config.run().seed()),
          model,
          adam,
          ConfigLoader.toJson(config),
          () -> checkFence("checkpoint step-" + steps));
    } catch (IOException | FSError e) {
      String previous;
      try {
        previous =
            Checkpoints.latest(fs, dir)
                .map(p -> "the previous checkpoint " + p.getName() + " is intact")
                .orElse("there is no earlier checkpoint");
      } catch (IOException | RuntimeException listing) {
        previous = "the earlier checkpoints were not touched";
      }
      Throwable why = e instanceof FSError && e.getCause() != null ? e.getCause() : e;
      throw new CheckpointFailure(
          "cannot write checkpoint step-"
              + steps
              + " to "
              + new Path(dir, Checkpoints.DIR)
              + " ("
              + String.valueOf(why.getMessage()).lines().findFirst().orElse("")
              + "); "
              + previous,
          e);
    }
  }

  /**
   * Every rank of a run with a sharded optimiser: writes this rank's shard of checkpoint {@code
   * steps}, then the ranks agree that all shards are written before rank 0 completes it. A rank
   * that cannot write makes every rank fail with the same message; earlier checkpoints are intact.
   */
  public void checkpointShard(long steps, Optimizer adam, Collective ranks) {
    checkFence("its optimizer shard of checkpoint step-" + steps);
    String why = null;
    try {
      if (!Checkpoints.exists(fs, dir, steps)) {
        Checkpoints.saveShard(fs, dir, steps, adam);
      }
    } catch (IOException | FSError e) {
      why = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    }
    float[] written = {why == null ? 1f : 0f};
    ranks.sum(written);
    if (written[0] != ranks.worldSize()) {
      throw new CheckpointFailure(
          "cannot write checkpoint step-"
              + steps
              + " to "
              + new Path(dir, Checkpoints.DIR)
              + ": "
              + (ranks.worldSize() - (int) written[0])
              + " rank(s) could not write their optimizer shard"
              + (why == null ? "" : " (rank " + ranks.rank() + ": " + why + ")")
              + "; "
              + latestCheckpoint()
                  .map(p -> "the previous checkpoint " + p.getName() + " is intact")
                  .orElse("there is no earlier checkpoint"),
          null);
    }
  }

  /** A checkpoint that could not be written; the ones before it are intact. */
  public static final class CheckpointFailure extends Failure {
    private static final long serialVersionUID = 1L;

    CheckpointFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Before a run goes on: removes what interrupted checkpoint saves left, and finds the newest
   * intact checkpoint (broken newer ones are reported and moved aside). Says what it did to {@code
   * out}.
   */
  public void prepareResume(Consumer<String> out, boolean acceptUnverified, String startAgain) {
    try {
      List<String> removed = Checkpoints.removeUnfinished(fs, dir);
      if (!removed.isEmpty()) {
        out.accept(
            "resume: removed "
                + removed.size()
                + " unfinished checkpoint save(s) of an interrupted run: "
                + String.join(", ", removed));
      }
      Checkpoints.newestIntact(fs, dir, out, acceptUnverified, startAgain);
    } catch (IOException e) {
      throw new Failure("cannot check the checkpoints of " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The newest checkpoint, if any (for messages). */
  public Optional<Path> latestCheckpoint() {
    try {
      return Checkpoints.latest(fs, dir);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Loads the latest checkpoint into the model and optimiser and drops metrics logged after it;
   * returns the step to continue from (0 when there is no checkpoint).
   */
  public long restore(Transformer model, Optimizer adam, boolean truncateLogs) {
    try {
      if (fs.exists(new Path(dir, "DONE"))) {
        throw new UserException("run.name: " + dir + " is complete (DONE); nothing to resume");
      }
      var latest = Checkpoints.latest(fs, dir);
      if (latest.isEmpty()) {
        System.out.println("resume: no checkpoint in " + dir + "; starting from step 0");
        return 0;
      }
      long step = Checkpoints.load(fs, latest.get(), model, adam).step();
      if (truncateLogs) {
        truncate("metrics.jsonl", step);
        truncate("evals.jsonl", step);
      }
      System.out.println("resume: from " + latest.get() + " (step " + step + ")");
      return step;
    } catch (IOException e) {
      throw new Failure("cannot resume from " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Keeps a log's lines of steps up to {@code step}: the ones after it will be logged again. */
  private void truncate(String name, long step) throws IOException {
    Path file = new Path(dir, name);
    if (!fs.exists(file)) {
      return;
    }
    closeAbandoned(file);
    StringBuilder kept = new StringBuilder();
    try (var in =
        new BufferedReader(new InputStreamReader(fs.open(file), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        // A line cut short by a crash is dropped with the lines after the checkpoint.
        if (line.endsWith("}") && Json.MAPPER.readTree(line).path("step").asLong() <= step) {
          kept.append(line).append('\n');
        }
      }
    }
    write(name, kept.toString());
  }

  /** How long HDFS may take to close a log its dead writer left open. */
  private static final long RECOVERY_MS = 60_000;

  /**
   * A log a dead writer left open on HDFS (a crashed driver, a lost DataNode) cannot be read to its
   * end until the NameNode closes it, which on its own takes an hour: ask it now, and wait.
   */
  private void closeAbandoned(Path file) throws IOException {
    if (!(fs instanceof DistributedFileSystem dfs) || dfs.isFileClosed(file)) {
      return;
    }
    long giveUp = System.currentTimeMillis() + RECOVERY_MS;
    boolean closed = dfs.recoverLease(file);
    while (!closed) {
      if (System.currentTimeMillis() > giveUp) {
        throw new IOException(
            file
                + " is still held open by a writer that is gone (HDFS lease recovery did not end in "
                + RECOVERY_MS / 1000
                + " s); run `hdfs debug recoverLease -path "
                + Path.getPathWithoutSchemeAndAuthority(file)
                + "` and resume again");
      }
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while HDFS closes " + file, e);
      }
      closed = dfs.isFileClosed(file);
    }
  }

  FileSystem fs() {
    return fs;
  }

  /** Whether the run directory has a file of this name. */
  public boolean exists(String name) {
    try {
      return fs.exists(new Path(dir, name));
    } catch (IOException e) {
      throw new Failure("cannot read " + dir + ": " + e.getMessage(), e);
    }
  }

  public Path path() {
    return dir;
  }

  /** Writes a file atomically: to a temporary name, then renamed over the old one. */
  public Path write(String name, String content) {
    checkFence(name);
    return replace(name, "." + name + ".tmp", content);
  }

  /** Writes {@code name} through the temporary file {@code tmpName}, renamed over the old one. */
  private Path replace(String name, String tmpName, String content) {
    Path target = new Path(dir, name);
    Path tmp = new Path(dir, tmpName);
    try {
      try (OutputStream out = fs.create(tmp, true)) {
        out.write(content.getBytes(StandardCharsets.UTF_8));
      }
      fs.delete(target, false);
      if (!fs.rename(tmp, target)) {
        throw new IOException("rename " + tmp + " -> " + target + " failed");
      }
      return target;
    } catch (IOException e) {
      throw new Failure("cannot write " + target + ": " + e.getMessage(), e);
    }
  }
}
