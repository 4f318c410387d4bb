package io.crossover.driver.spark;

import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.ingest.IngestInputs;
import io.crossover.data.ingest.IngestJob;
import io.crossover.data.shard.Manifest;
import io.crossover.driver.process.Interrupts;
import io.crossover.driver.process.Invocation;
import io.crossover.driver.process.QualifiedPaths;
import java.io.IOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Ingest on Spark: recovers an interrupted ingest of the same output, checks the inputs before
 * Spark starts, runs {@code IngestJob} and says where an interrupt left the output.
 */
public final class Ingest {
  private Ingest() {}

  public static Manifest run(CrossoverConfig c, boolean overwrite) {
    long start = System.nanoTime();
    Configuration hadoop = new Configuration();
    Path output = new Path(QualifiedPaths.qualify(c.data().dataset(), hadoop));
    IngestJob.recoverInterrupted(output, hadoop, System.out::println);
    // Fail on a bad path, an existing output or a broken tokenizer before starting Spark.
    IngestInputs.check(c.data(), overwrite, hadoop);
    boolean existed = exists(output, hadoop);
    Interrupts.onInterrupt(
        () ->
            "crossover ingest: interrupted; "
                + output
                + (existed ? " is as it was" : " was not written")
                + " (the partial output is removed by the next ingest of it). Run again: "
                + Invocation.commandLineWith(List.of()));
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

  private static boolean exists(Path p, Configuration c) {
    try {
      return p.getFileSystem(c).exists(p);
    } catch (IOException e) {
      return false;
    }
  }
}
