package io.crossover.driver.run;

import io.crossover.data.config.ConfigLoader;
import io.crossover.data.shard.Filesystems;
import io.crossover.driver.process.Invocation;
import io.crossover.driver.process.QualifiedPaths;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The runs whose {@code identity.json} records a task file, looked for under every run root a
 * command can know of, not only the configured one: a run made with another {@code run.root} was
 * measured on the file just the same, and replacing the file would pair its scores with a task it
 * never saw.
 */
public final class TaskFileRuns {
  private TaskFileRuns() {}

  /**
   * A run that records the file.
   *
   * @param identity its identity.json
   * @param recordedAs the path its task spec names: the file's, or a link to it or from it
   */
  public record Use(String identity, String recordedAs) {}

  /**
   * What a search found.
   *
   * @param checked the run roots read
   * @param missing the roots that are not directories (a default one nobody has used)
   * @param uses the runs that record the file
   */
  public record Search(List<String> checked, List<String> missing, List<Use> uses) {
    /** Where it looked, for a message: {@code checked runs under A, B (C does not exist)}. */
    public String where() {
      String out =
          checked.isEmpty()
              ? "found no run directory to check"
              : "checked runs under " + String.join(", ", checked);
      return missing.isEmpty() ? out : out + " (not there: " + String.join(", ", missing) + ")";
    }
  }

  /**
   * The run roots a command can know of, each once: {@code configured} (its run.root), the default
   * run.root (in the working directory and in the installation, where relative paths also resolve)
   * and {@code more} (given by the user), qualified.
   */
  public static List<String> roots(String configured, List<String> more, Configuration hadoop) {
    Set<String> out = new LinkedHashSet<>();
    out.add(QualifiedPaths.qualify(configured, hadoop));
    String standard = ConfigLoader.load(null, List.of()).run().root();
    out.add(QualifiedPaths.qualify(standard, hadoop));
    if (!standard.contains(":") && !new File(standard).isAbsolute()) {
      out.add(
          QualifiedPaths.qualify(new File(Invocation.home(), standard).getAbsolutePath(), hadoop));
    }
    for (String dir : more) {
      out.add(QualifiedPaths.qualify(dir, hadoop));
    }
    return List.copyOf(out);
  }

  /**
   * The runs under {@code roots} (runs, and the runs of sweeps: up to three levels down; a root may
   * be a run itself) whose identity records {@code file} as a task: by its path, or by a link to
   * the same file. A copy is another file: the runs go on reading theirs.
   */
  public static Search find(Path file, List<String> roots, Configuration hadoop) {
    List<String> checked = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    List<Use> uses = new ArrayList<>();
    String target;
    try {
      target = Filesystems.of(file, hadoop).makeQualified(file).toString();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    for (String root : roots) {
      Path dir = new Path(root);
      try {
        FileSystem fs = dir.getFileSystem(hadoop);
        if (!fs.exists(dir) || !fs.getFileStatus(dir).isDirectory()) {
          missing.add(root);
          continue;
        }
        checked.add(root);
        collect(fs, fs.makeQualified(dir), target, 3, uses);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + root + ": " + e.getMessage(), e);
      }
    }
    return new Search(checked, missing, uses);
  }

  /** Whether two local paths are one file by a symbolic link (both must exist). */
  private static boolean sameLocalFile(String a, String b) {
    if (!a.startsWith("file:") || !b.startsWith("file:")) {
      return false;
    }
    // java.nio's Path, qualified: this file's Path is Hadoop's.
    java.nio.file.Path x = java.nio.file.Path.of(URI.create(a));
    java.nio.file.Path y = java.nio.file.Path.of(URI.create(b));
    try {
      return Files.exists(x) && Files.exists(y) && Files.isSameFile(x, y);
    } catch (IOException e) {
      return false; // unreadable: not shown to be the same file, as a path that differs
    }
  }

  private static void collect(FileSystem fs, Path dir, String target, int depth, List<Use> out)
      throws IOException {
    Path identity = new Path(dir, RunIdentity.FILE);
    if (fs.exists(identity)) {
      String json;
      try (InputStream in = fs.open(identity)) {
        json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      for (String spec : RunIdentity.fromJson(json).tasks().keySet()) {
        Path path = new Path(spec.substring(spec.indexOf(':', spec.indexOf('=')) + 1));
        String recorded = path.getFileSystem(fs.getConf()).makeQualified(path).toString();
        if (recorded.equals(target) || sameLocalFile(recorded, target)) {
          out.add(new Use(identity.toString(), recorded));
          break;
        }
      }
      return;
    }
    if (depth == 0) {
      return;
    }
    for (FileStatus s : fs.listStatus(dir)) {
      // Dot-directories are set aside or half-written (the run an --overwrite replaces), not runs.
      if (s.isDirectory() && !s.getPath().getName().startsWith(".")) {
        collect(fs, s.getPath(), target, depth - 1, out);
      }
    }
  }
}
