package io.crossover.driver.cli;

import io.crossover.data.Failure;
import io.crossover.data.Sha256;
import io.crossover.data.UserException;
import io.crossover.data.cloze.ClozeBuilder;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.DataConfig;
import io.crossover.data.shard.Dataset;
import io.crossover.data.shard.Filesystems;
import io.crossover.data.tokenize.Tokenizer;
import io.crossover.driver.run.RankTraining;
import io.crossover.driver.run.TaskFileRuns;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code crossover cloze}: a held-out multiple-choice task from a dataset's validation split. */
@Command(
    name = "cloze",
    header = "Build an audited multiple-choice cloze task from a dataset's validation split.",
    mixinStandardHelpOptions = true,
    description = {
      "Build a multiple-choice cloze task from a dataset's validation split (never its training",
      "split): a context from a held-out document and, as choices, the continuations of windows",
      "of distinct held-out documents drawn from one stratum (sentence start, case, end",
      "punctuation, length and word-frequency bins), the context's own a uniformly chosen one.",
      "The task is audited with surface baselines and rules on every other field of an item (none",
      "may predict the answer); it is written only if none beats chance. An item holds id,",
      "context, choices, answer and doc (the context's document, opaquely named): nothing else.",
      "Writes the mc JSONL format; evaluate with --set 'eval.tasks=[\"cloze=mc:FILE\"]'."
    })
public final class ClozeCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Spec CommandSpec spec;

  @Option(names = "--dataset", description = "Dataset directory (data.dataset).")
  String dataset;

  @Option(
      names = "--out",
      description = "File to write (default: <dataset>/" + DataConfig.CLOZE_FILE + ").")
  String out;

  @Option(
      names = "--items",
      defaultValue = "1000",
      description = "Items (default ${DEFAULT-VALUE}).")
  int items;

  @Option(names = "--seed", defaultValue = "1", description = "Seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--context-words",
      defaultValue = "" + ClozeBuilder.CONTEXT_WORDS,
      description = "Words of context (default ${DEFAULT-VALUE}).")
  int contextWords;

  @Option(
      names = "--answer-words",
      defaultValue = "" + ClozeBuilder.ANSWER_WORDS,
      description = "Words per choice (default ${DEFAULT-VALUE}).")
  int answerWords;

  @Option(
      names = "--overwrite",
      description =
          "Replace --out (or the dataset's cloze.jsonl) when it exists; never a file a run's"
              + " identity.json records, under any run root checked (see --runs).")
  boolean overwrite;

  @Option(
      names = "--runs",
      paramLabel = "DIR",
      description =
          "A directory of runs (or of sweeps, or one run) to check besides run.root and the"
              + " default run root: a task file a run there records is never replaced"
              + " (repeatable).")
  List<String> runs = new ArrayList<>();

  @Option(
      names = "--choices",
      defaultValue = "" + ClozeBuilder.CHOICES,
      description = "Choices per item (default ${DEFAULT-VALUE}).")
  int choices;

  @Override
  public Integer call() {
    if (items < 1 || contextWords < 1 || answerWords < 1 || choices < 2) {
      throw new ParameterException(
          spec.commandLine(),
          "--items, --context-words and --answer-words must be >= 1 and --choices >= 2");
    }
    Configuration hadoop = new Configuration();
    if (out != null) {
      refuseDirectory(new Path(out), hadoop);
    }
    for (String dir : runs) {
      requireDirectory(new Path(dir), hadoop);
    }
    CrossoverConfig c =
        config.load(new ConfigOptions.Sugar().put("--dataset", "data.dataset", dataset));
    Dataset ds = Dataset.open(c.data().dataset(), hadoop);
    Path target =
        new Path(out != null ? out : new Path(ds.root(), DataConfig.CLOZE_FILE).toString());
    if (out == null) {
      refuseDirectory(target, hadoop); // --out was checked before any work
    }
    String replacing = refuseToReplace(target, c.run().root(), hadoop);
    try (Tokenizer tokenizer = RankTraining.datasetTokenizer(c, ds, hadoop)) {
      ClozeBuilder.Audited task =
          ClozeBuilder.buildAndAudit(
              ds,
              tokenizer,
              new ClozeBuilder.Settings(items, seed, contextWords, answerWords, choices),
              target.getName());
      System.out.print(task.audit().table());
      if (!task.audit().passed()) {
        throw ClozeBuilder.refusal(task.audit(), "build it with another --seed (now " + seed + ")");
      }
      if (replacing != null) {
        System.out.println("cloze: replacing " + replacing);
      }
      ClozeBuilder.write(Filesystems.of(target, hadoop), target, task.built().items());
      System.out.printf(
          "cloze: %d items from %d validation documents of %s (at most %d from one) -> %s%n",
          task.built().items().size(),
          task.built().documents(),
          ds.root(),
          task.built().largestShare(),
          target);
    } catch (IOException e) {
      throw new Failure("cannot write " + target + ": " + e.getMessage(), e);
    }
    return 0;
  }

  /**
   * A directory passes every check up to the write, which then fails after the whole build and
   * audit: refused first, with the file name it most likely meant.
   */
  private static void refuseDirectory(Path target, Configuration hadoop) {
    try {
      FileSystem fs = Filesystems.of(target, hadoop);
      if (fs.exists(target) && fs.getFileStatus(target).isDirectory()) {
        throw new UserException(
            "--out: "
                + target
                + " is a directory; name the task file to write, e.g. "
                + new Path(target, DataConfig.CLOZE_FILE));
      }
    } catch (IOException e) {
      throw new Failure("cannot read " + target + ": " + e.getMessage(), e);
    }
  }

  /** The refusal to replace a task file runs record, naming them and where it looked. */
  private static UserException refusal(
      Path target, List<TaskFileRuns.Use> uses, String where, FileSystem fs) {
    String path = fs.makeQualified(target).toString();
    List<String> named = new ArrayList<>();
    for (TaskFileRuns.Use u : uses.subList(0, Math.min(3, uses.size()))) {
      named.add(u.identity());
    }
    // Named by a link (or --out is one): the name the identities show.
    Set<String> aliases = new TreeSet<>();
    for (TaskFileRuns.Use u : uses) {
      if (!u.recordedAs().equals(path)) {
        aliases.add(u.recordedAs());
      }
    }
    return new UserException(
        "--out: "
            + target
            + " is the task file of "
            + uses.size()
            + " run(s), whose identity records its SHA-256 ("
            + String.join(", ", named)
            + (uses.size() > 3 ? ", ..." : "")
            + (aliases.isEmpty() ? "" : "; named " + String.join(", ", aliases))
            + "); replacing it would change what they were measured on. Write the new task"
            + " elsewhere with --out FILE; "
            + where
            + ".");
  }

  /** A --runs that names nothing would leave the runs it meant unprotected without a word. */
  private static void requireDirectory(Path dir, Configuration hadoop) {
    try {
      FileSystem fs = dir.getFileSystem(hadoop);
      if (!fs.exists(dir)) {
        throw new UserException(
            "--runs: " + dir + " does not exist; give a directory that holds runs (run.root)");
      }
      if (!fs.getFileStatus(dir).isDirectory()) {
        throw new UserException(
            "--runs: " + dir + " is a file; give a directory that holds runs (run.root)");
      }
    } catch (IOException e) {
      throw new Failure("cannot read " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Refuses to replace an existing task file that a run records, wherever runs can be found, or any
   * existing one without --overwrite; says where it looked. Returns what is replaced (the file, its
   * SHA-256 and items), null when the file is new.
   */
  private String refuseToReplace(Path target, String runRoot, Configuration hadoop) {
    try {
      FileSystem fs = Filesystems.of(target, hadoop);
      if (!fs.exists(target)) {
        return null;
      }
      TaskFileRuns.Search found =
          TaskFileRuns.find(target, TaskFileRuns.roots(runRoot, runs, hadoop), hadoop);
      List<TaskFileRuns.Use> uses = found.uses();
      if (!uses.isEmpty()) {
        throw refusal(target, uses, found.where(), fs);
      }
      if (!overwrite) {
        throw new UserException(
            "--out: "
                + target
                + " exists; pass --overwrite to replace it, or write elsewhere with --out FILE");
      }
      System.out.println("cloze: " + found.where() + ": no run records " + target);
      String sha = Sha256.hex(fs, target);
      long items;
      try (BufferedReader in =
          new BufferedReader(new InputStreamReader(fs.open(target), StandardCharsets.UTF_8))) {
        items = in.lines().filter(l -> !l.isBlank()).count();
      }
      return target + " (sha256 " + sha.substring(0, 16) + "…, " + items + " items)";
    } catch (IOException e) {
      throw new Failure("cannot read " + target + ": " + e.getMessage(), e);
    }
  }
}
