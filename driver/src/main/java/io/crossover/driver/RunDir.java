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
    return create(config, hadoop, true);
  }

  /**
   * As {@link #create(CrossoverConfig, Configuration)}, for a training run: a directory that
   * already holds training results is refused unless {@code overwrite}, and then cleared.
   */
  public static RunDir create(CrossoverConfig config, Configuration hadoop, boolean overwrite) {
    Path dir = new Path(config.run().root(), config.run().name());
    try {
      FileSystem fs = io.crossover.data.shard.Filesystems.of(dir, hadoop);
      boolean trained =
          fs.exists(new Path(dir, "metrics.jsonl")) || fs.exists(new Path(dir, "DONE"));
      if (trained && !overwrite) {
        throw new IllegalArgumentException(
            "run.name: "
                + fs.makeQualified(dir)
                + " already holds a training run; pass --overwrite to replace it or choose"
                + " another --run name");
      }
      if (trained) {
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

  /** Opens a file of the run for appending lines (created if missing). */
  public java.io.Writer appender(String name) {
    Path file = new Path(dir, name);
    try {
      OutputStream out = fs.exists(file) ? fs.append(file) : fs.create(file, false);
      return new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + file + ": " + e.getMessage(), e);
    }
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
