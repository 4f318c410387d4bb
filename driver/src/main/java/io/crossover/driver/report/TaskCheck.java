package io.crossover.driver.report;

import io.crossover.data.cloze.BlindAudit;
import io.crossover.data.shard.Dataset;
import io.crossover.data.tokenize.Tokenizer;
import io.crossover.data.tokenize.TokenizerSpec;
import io.crossover.executor.eval.McTasks;
import io.crossover.executor.eval.TaskAudit;
import org.apache.hadoop.conf.Configuration;

/**
 * The blind audit of the task the report's claims are made on, from the file the runs were
 * evaluated on and the dataset they were trained on (its splits give word frequencies; without it,
 * the task's own contexts do). A task whose answer a surface baseline picks above chance measures
 * its construction, not the models: the report marks it, and no downstream claim is made on it.
 *
 * @param result the audit, or null when it could not be made
 * @param why why it could not be made, or null
 */
public record TaskCheck(BlindAudit.Result result, String why) {

  /** The audit failed: a baseline beats chance. */
  public boolean failed() {
    return result != null && !result.passed();
  }

  /**
   * Audits {@code task} as {@code run} was configured to evaluate it, if the file there is still
   * the one it scored ({@code sha256}, as the run recorded it).
   */
  static TaskCheck of(RunResult run, String task, String sha256, Configuration hadoop) {
    McTasks.Task loaded = null;
    for (String spec : run.config().eval().tasks()) {
      try {
        McTasks.Task t = McTasks.load(spec, 0, hadoop);
        if (t.name().equals(task)) {
          loaded = t;
        }
      } catch (RuntimeException e) {
        if (spec.startsWith(task + "=") || spec.startsWith(task + ":")) {
          return new TaskCheck(null, "its file cannot be read (" + e.getMessage() + ")");
        }
      }
    }
    if (loaded == null) {
      return new TaskCheck(null, "the runs' config names no file for it");
    }
    if (sha256 != null && !sha256.equals(loaded.sha256())) {
      return new TaskCheck(
          null,
          "its file has changed since the runs scored it (SHA-256), so it is not the same task");
    }
    Dataset dataset = null;
    try {
      dataset = Dataset.open(run.config().data().dataset(), hadoop);
    } catch (RuntimeException e) {
      // Audit on the task's own text.
    }
    if (dataset == null) {
      return new TaskCheck(TaskAudit.of(loaded, null, null), null);
    }
    try (Tokenizer tokenizer =
        TokenizerSpec.resolve(run.config().data().tokenizer(), hadoop).open()) {
      return new TaskCheck(TaskAudit.of(loaded, dataset, tokenizer), null);
    }
  }
}
