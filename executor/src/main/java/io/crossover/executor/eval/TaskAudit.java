package io.crossover.executor.eval;

import io.crossover.data.cloze.BlindAudit;
import io.crossover.data.cloze.ClozeBuilder;
import io.crossover.data.cloze.WordCounts;
import io.crossover.data.cloze.Words;
import io.crossover.data.shard.Dataset;
import io.crossover.data.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The blind audit of a loaded task: its items' surface baselines, with word frequencies counted
 * over the dataset's validation and training splits when the dataset is at hand, else over every
 * choice of the task (not its contexts: an answer shares words with its own context, which a
 * distractor's context would not be there to balance).
 */
public final class TaskAudit {
  private TaskAudit() {}

  /** Audits {@code task}; {@code dataset} (with its {@code tokenizer}) may be null. */
  public static BlindAudit.Result of(McTasks.Task task, Dataset dataset, Tokenizer tokenizer) {
    Map<String, WordCounts> tables = new LinkedHashMap<>();
    if (dataset != null) {
      tables.put(
          "validation split",
          WordCounts.of(Words.of(dataset, dataset.manifest().validation(), tokenizer, 0)));
      tables.put(
          "training split",
          WordCounts.of(
              Words.of(
                  dataset,
                  dataset.manifest().train(),
                  tokenizer,
                  ClozeBuilder.AUDIT_TRAINING_TOKENS)));
    } else {
      List<String[]> choices = new ArrayList<>();
      task.items().forEach(i -> i.choices().forEach(c -> choices.add(Words.split(c))));
      tables.put("the task's choices", WordCounts.of(choices));
    }
    List<BlindAudit.Item> items = new ArrayList<>();
    for (McItem i : task.items()) {
      items.add(
          new BlindAudit.Item(i.context(), i.choices(), i.answer(), i.cluster(), i.metadata()));
    }
    return BlindAudit.run(task.name(), items, tables, 1);
  }
}
