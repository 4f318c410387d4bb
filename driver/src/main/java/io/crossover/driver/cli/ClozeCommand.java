package io.crossover.driver.cli;

import io.crossover.data.Failure;
import io.crossover.data.cloze.ClozeBuilder;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.DataConfig;
import io.crossover.data.shard.Dataset;
import io.crossover.data.shard.Filesystems;
import io.crossover.data.tokenize.Tokenizer;
import io.crossover.driver.run.RankSession;
import io.crossover.driver.run.RunIdentity;
import java.io.IOException;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
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
      description = "Replace --out (or the dataset's cloze.jsonl) when it exists.")
  boolean overwrite;

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
    CrossoverConfig c =
        config.load(new ConfigOptions.Sugar().put("--dataset", "data.dataset", dataset));
    Configuration hadoop = new Configuration();
    Dataset ds = Dataset.open(c.data().dataset(), hadoop);
    Path target =
        new Path(out != null ? out : new Path(ds.root(), DataConfig.CLOZE_FILE).toString());
    RunIdentity.refuseToReplace(target, c.run().root(), overwrite, hadoop);
    try (Tokenizer tokenizer = RankSession.datasetTokenizer(c, ds, hadoop)) {
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
}
