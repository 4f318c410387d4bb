package io.crossover.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.ingest.IngestJob;
import io.crossover.data.shard.Manifest;
import io.crossover.driver.spark.SparkSessions;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded default, {@code local-cluster[2,1,1024]}: two executor JVMs separate from this one,
 * reading from and writing to a real HDFS, give the same dataset as two task threads in-process.
 */
class EmbeddedClusterIT {
  @TempDir Path tmp;

  @Test
  void ingestOnSeparateExecutorJvmsMatchesInProcessIngest() throws Exception {
    try (MiniHdfs hdfs = new MiniHdfs()) {
      hdfs.fs.copyFromLocalFile(
          new org.apache.hadoop.fs.Path(IngestIT.BROWN.toUri()),
          new org.apache.hadoop.fs.Path("/in/brown.jsonl.gz"));
      CrossoverConfig cluster =
          ConfigLoader.load(
              null,
              List.of(
                  "data.input.path=" + hdfs.uri("/in"),
                  "data.dataset=" + hdfs.uri("/out"),
                  "data.shard-tokens=256Ki"));
      assertEquals(
          "local-cluster[2,1,1024]", cluster.cluster().master(), "the default is what we test");

      Manifest remote;
      SparkSession spark = SparkSessions.create(cluster.cluster(), "embedded-it");
      try {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        String driverPid = Long.toString(ProcessHandle.current().pid());
        Set<String> pids =
            new TreeSet<>(
                sc.parallelize(List.of(1, 2, 3, 4), 4)
                    .map(i -> ManagementFactory.getRuntimeMXBean().getName().split("@")[0])
                    .collect());
        assertEquals(2, pids.size(), "two executor JVMs ran the tasks: " + pids);
        assertFalse(pids.contains(driverPid), "not in the driver JVM");
        remote = IngestJob.run(sc, cluster.data(), false, s -> {});
      } finally {
        spark.stop();
      }

      CrossoverConfig inProcess =
          ConfigLoader.load(
              null,
              List.of(
                  "cluster.master=local[2]",
                  "data.input.path=" + IngestIT.BROWN,
                  "data.dataset=" + tmp.resolve("out").toUri(),
                  "data.shard-tokens=256Ki"));
      SparkSession local = SparkSessions.create(inProcess.cluster(), "embedded-it-local");
      try {
        Manifest reference =
            IngestJob.run(
                JavaSparkContext.fromSparkContext(local.sparkContext()),
                inProcess.data(),
                false,
                s -> {});
        assertEquals(reference.train(), remote.train());
        assertEquals(reference.validation(), remote.validation());
      } finally {
        local.stop();
      }
    }
  }
}
