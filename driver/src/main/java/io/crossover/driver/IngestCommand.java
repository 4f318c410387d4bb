package io.crossover.driver;

import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.ingest.IngestJob;
import io.crossover.data.shard.Manifest;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
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
final class IngestCommand implements Callable<Integer> {
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
                .put("data.input.path", input)
                .put("data.input.format", format)
                .put("data.input.text-field", textField)
                .put("data.dataset", output)
                .put("data.tokenizer", tokenizer)
                .put("cluster.master", master)
                .pairs());
    run(c, overwrite);
    return 0;
  }

  static Manifest run(CrossoverConfig c, boolean overwrite) {
    long start = System.nanoTime();
    // Fail on a bad path, an existing output or a broken tokenizer before starting Spark.
    io.crossover.data.ingest.IngestInputs.check(
        c.data(), overwrite, new org.apache.hadoop.conf.Configuration());
    SparkSession spark = SparkSessions.create(c.cluster(), "ingest");
    try {
      Manifest m =
          IngestJob.run(
              JavaSparkContext.fromSparkContext(spark.sparkContext()),
              c.data(),
              overwrite,
              System.out::println);
      System.out.printf("ingest: done in %.1f s%n", (System.nanoTime() - start) / 1e9);
      return m;
    } finally {
      spark.stop();
    }
  }
}
