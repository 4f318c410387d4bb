package io.crossover.driver;

import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** A run directory, {@code run.root/run.name}, on any Hadoop filesystem. */
public final class RunDir {
  private final FileSystem fs;
  private final Path dir;

  private RunDir(FileSystem fs, Path dir) {
    this.fs = fs;
    this.dir = dir;
  }

  /** The run directory of a config, created if missing, with config.json written into it. */
  public static RunDir create(CrossoverConfig config, Configuration hadoop) {
    return create(config, hadoop, Existing.KEEP);
  }

  /** What to do with a directory that already holds a training run. */
  public enum Existing {
    /** Refuse to touch it. */
    REFUSE,
    /** Delete it and start afresh. */
    REPLACE,
    /** Keep it (to resume, or for commands that only add files). */
    KEEP
  }

  /**
   * As {@link #create(CrossoverConfig, Configuration)}, saying what happens to a directory that
   * already holds training results.
   */
  public static RunDir create(CrossoverConfig config, Configuration hadoop, Existing existing) {
    Path dir = new Path(config.run().root(), config.run().name());
    try {
      FileSystem fs = io.crossover.data.shard.Filesystems.of(dir, hadoop);
      boolean trained =
          fs.exists(new Path(dir, "metrics.jsonl")) || fs.exists(new Path(dir, "DONE"));
      if (trained && existing == Existing.REFUSE) {
        throw new IllegalArgumentException(
            "run.name: "
                + fs.makeQualified(dir)
                + " already holds a training run; pass --resume to continue it, --overwrite to"
                + " replace it, or choose another --run name");
      }
      if (trained && existing == Existing.REPLACE) {
        fs.delete(dir, true);
      }
      fs.mkdirs(dir);
      RunDir run = new RunDir(fs, fs.makeQualified(dir));
      run.write("config.json", ConfigLoader.toJson(config));
      return run;
    } catch (IOException e) {
      throw new UncheckedIOException("run.root: cannot create " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * The Hadoop configuration for run directories. The logs are appended to while a run goes on;
   * after a stage retry the new writer must not insist on replacing a datanode it cannot have (on
   * small clusters, replication below 3, that fails every append).
   */
  public static Configuration hadoopConf() {
    Configuration conf = new Configuration();
    conf.set("dfs.client.block.write.replace-datanode-on-failure.policy", "NEVER");
    conf.setBoolean("dfs.client.block.write.replace-datanode-on-failure.best-effort", true);
    return conf;
  }

  /** An existing run directory, opened without writing anything (executors use this). */
  public static RunDir open(String dir, Configuration hadoop) {
    try {
      Path path = new Path(dir);
      FileSystem fs = io.crossover.data.shard.Filesystems.of(path, hadoop);
      return new RunDir(fs, fs.makeQualified(path));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open run directory " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Opens a file of the run for appending lines (created if missing). */
  public java.io.Writer appender(String name) {
    Path file = new Path(dir, name);
    try {
      org.apache.hadoop.fs.FSDataOutputStream stream =
          fs.exists(file) ? fs.append(file) : fs.create(file, false);
      // hflush on every flush: the driver (and people) read these logs while the run goes on.
      OutputStream visible =
          new java.io.FilterOutputStream(stream) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
              stream.write(b, off, len);
            }

            @Override
            public void flush() throws IOException {
              stream.hflush();
            }
          };
      return new java.io.OutputStreamWriter(visible, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + file + ": " + e.getMessage(), e);
    }
  }

  /** Saves a checkpoint of {@code steps} steps done. */
  public Path checkpoint(
      long steps,
      long tokensSeen,
      CrossoverConfig config,
      io.crossover.executor.model.Transformer model,
      io.crossover.executor.optim.AdamW adam) {
    try {
      return io.crossover.executor.checkpoint.Checkpoints.save(
          fs,
          dir,
          new io.crossover.executor.checkpoint.Checkpoints.State(
              steps, adam.step(), tokensSeen, config.run().seed()),
          model,
          adam,
          ConfigLoader.toJson(config));
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write a checkpoint to " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Loads the latest checkpoint into the model and optimiser and drops metrics logged after it;
   * returns the step to continue from (0 when there is no checkpoint).
   */
  public long restore(
      io.crossover.executor.model.Transformer model,
      io.crossover.executor.optim.AdamW adam,
      boolean truncateLogs) {
    try {
      if (fs.exists(new Path(dir, "DONE"))) {
        throw new IllegalArgumentException(
            "run.name: " + dir + " is complete (DONE); nothing to resume");
      }
      var latest = io.crossover.executor.checkpoint.Checkpoints.latest(fs, dir);
      if (latest.isEmpty()) {
        System.out.println("resume: no checkpoint in " + dir + "; starting from step 0");
        return 0;
      }
      long step =
          io.crossover.executor.checkpoint.Checkpoints.load(fs, latest.get(), model, adam).step();
      if (truncateLogs) {
        truncate("metrics.jsonl", step);
        truncate("evals.jsonl", step);
      }
      System.out.println("resume: from " + latest.get() + " (step " + step + ")");
      return step;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resume from " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Keeps a log's lines of steps up to {@code step}: the ones after it will be logged again. */
  private void truncate(String name, long step) throws IOException {
    Path file = new Path(dir, name);
    if (!fs.exists(file)) {
      return;
    }
    StringBuilder kept = new StringBuilder();
    try (var in =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(fs.open(file), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (io.crossover.data.Json.MAPPER.readTree(line).path("step").asLong() <= step) {
          kept.append(line).append('\n');
        }
      }
    }
    write(name, kept.toString());
  }

  FileSystem fs() {
    return fs;
  }

  public Path path() {
    return dir;
  }

  /** Writes a file atomically: to a temporary name, then renamed over the old one. */
  public Path write(String name, String content) {
    Path target = new Path(dir, name);
    Path tmp = new Path(dir, "." + name + ".tmp");
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
      throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
    }
  }
}
