package io.crossover.driver.cli;

import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.ingest.IngestJob;
import io.crossover.data.shard.Manifest;
import io.crossover.driver.process.Interrupts;
import io.crossover.driver.process.Invocation;
import io.crossover.driver.process.QualifiedPaths;
import io.crossover.driver.spark.SparkSessions;
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
    run(c, overwrite);
    return 0;
  }

  static Manifest run(CrossoverConfig c, boolean overwrite) {
    long start = System.nanoTime();
    org.apache.hadoop.conf.Configuration hadoop = new org.apache.hadoop.conf.Configuration();
    org.apache.hadoop.fs.Path output =
        new org.apache.hadoop.fs.Path(QualifiedPaths.qualify(c.data().dataset(), hadoop));
    IngestJob.recoverInterrupted(output, hadoop, System.out::println);
    // Fail on a bad path, an existing output or a broken tokenizer before starting Spark.
    io.crossover.data.ingest.IngestInputs.check(c.data(), overwrite, hadoop);
    boolean existed = exists(output, hadoop);
    Interrupts.onInterrupt(
        () ->
            "crossover ingest: interrupted; "
                + output
                + (existed ? " is as it was" : " was not written")
                + " (the partial output is removed by the next ingest of it). Run again: "
                + Invocation.commandLineWith(java.util.List.of()));
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
      Interrupts.onInterrupt(null);
      spark.stop();
    }
  }

  private static boolean exists(
      org.apache.hadoop.fs.Path p, org.apache.hadoop.conf.Configuration c) {
    try {
      return p.getFileSystem(c).exists(p);
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
