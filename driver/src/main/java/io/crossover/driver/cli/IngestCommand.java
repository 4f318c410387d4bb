package io.crossover.driver.cli;

import io.crossover.data.config.CrossoverConfig;
import io.crossover.driver.spark.Ingest;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code crossover ingest}: raw documents to Arrow token shards, as a Spark job. */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    description = {
      "Tokenise a corpus into Arrow token shards (a Spark job).",
      "Input: text, JSONL or Parquet on any Hadoop filesystem. Output: shards, a manifest and a",
      "held-out validation split, which appear atomically."
    })
public final class IngestCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--input", description = "Input file or directory (data.input.path).")
  String input;

  @Option(names = "--format", description = "text, jsonl or parquet (data.input.format).")
  String format;

  @Option(
      names = "--text-field",
      description = "JSONL field / Parquet column (data.input.text-field).")
  String textField;

  @Option(
      names = {"--output", "--dataset"},
      description = "Dataset directory to write (data.dataset).")
  String output;

  @Option(names = "--tokenizer", description = "byte or hf:<tokenizer.json> (data.tokenizer).")
  String tokenizer;

  @Option(names = "--master", description = "Spark master (cluster.master).")
  String master;

  @Option(names = "--overwrite", description = "Replace an existing dataset.")
  boolean overwrite;

  @Override
  public Integer call() {
    CrossoverConfig c =
        config.load(
            new ConfigOptions.Sugar()
                .put("--input", "data.input.path", input)
                .put("--format", "data.input.format", format)
                .put("--text-field", "data.input.text-field", textField)
                .put("--output", "data.dataset", output)
                .put("--tokenizer", "data.tokenizer", tokenizer)
                .put("--master", "cluster.master", master));
    Ingest.run(c, overwrite);
    return 0;
  }
}
