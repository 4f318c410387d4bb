package io.crossover.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import io.crossover.data.config.ConfigLoader;
import io.crossover.data.ingest.IngestJob;
import io.crossover.driver.Crossover;
import io.crossover.driver.SparkSessions;
import io.crossover.executor.checkpoint.SafeTensors;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Data-parallel training on real HDFS (MiniDFSCluster) and two real executor JVMs ({@code
 * local-cluster[2,1,1024]}), against one rank in this process.
 */
class DistributedTrainIT {
  static MiniHdfs hdfs;
  static String dataset;

  @BeforeAll
  static void ingest() throws Exception {
    hdfs = new MiniHdfs();
    dataset = hdfs.uri("/datasets/brown");
    hdfs.fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(IngestIT.BROWN.toUri()),
        new org.apache.hadoop.fs.Path("/corpus/brown.jsonl.gz"));
    SparkSession spark =
        SparkSessions.create(
            ConfigLoader.load(null, List.of("cluster.master=local[2]")).cluster(), "it-ingest");
    try {
      IngestJob.run(
          JavaSparkContext.fromSparkContext(spark.sparkContext()),
          ConfigLoader.load(
                  null,
                  List.of("data.input.path=" + hdfs.uri("/corpus"), "data.dataset=" + dataset))
              .data(),
          false,
          s -> {});
    } finally {
      spark.stop();
    }
  }

  @AfterAll
  static void stop() {
    hdfs.close();
  }

  static String[] train(String run, int worldSize, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "train",
                "--objective",
                "ar",
                "--preset",
                "tiny",
                "--dataset",
                dataset,
                "--unique-tokens",
                "8Ki",
                "--total-tokens",
                "16Ki",
                "--seq-len",
                "64",
                "--global-batch",
                "16",
                "--lr",
                "1e-3",
                "--run",
                run,
                "--set",
                "cluster.world-size=" + worldSize,
                "--set",
                "cluster.master=local-cluster[2,1,1024]",
                "--set",
                "optim.warmup-steps=8",
                "--set",
                "train.log-every=1",
                "--set",
                "eval.min-points=0",
                "--set",
                "eval.every-epoch=false",
                "--set",
                "eval.validation-sequences=8",
                "--set",
                "run.root=" + hdfs.uri("/runs")));
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }

  static Map<String, SafeTensors.Tensor> finalModel(String run) throws Exception {
    FileSystem fs = hdfs.fs;
    try (InputStream in =
        fs.open(
            new org.apache.hadoop.fs.Path(
                "/runs/" + run + "/checkpoints/step-16/model.safetensors"))) {
      return SafeTensors.read(in, new HashMap<>());
    }
  }

  static List<JsonNode> metrics(String run) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    try (InputStream in =
        hdfs.fs.open(new org.apache.hadoop.fs.Path("/runs/" + run + "/metrics.jsonl"))) {
      for (String line :
          new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
        out.add(Json.MAPPER.readTree(line));
      }
    }
    return out;
  }

  @Test
  void twoRanksTrainTheSameModelAsOneRankWithTheSameGlobalBatch() throws Exception {
    assertEquals(0, Crossover.execute(train("one", 1)));
    assertEquals(0, Crossover.execute(train("two", 2)));
    Map<String, SafeTensors.Tensor> one = finalModel("one");
    Map<String, SafeTensors.Tensor> two = finalModel("two");
    double maxDiff = 0;
    for (String name : one.keySet()) {
      float[] a = one.get(name).data();
      float[] b = two.get(name).data();
      for (int i = 0; i < a.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      }
    }
    // The two ranks' half-batch gradient means, averaged, equal the full-batch mean up to float
    // rounding (the logged gradient norms agree to ~1e-7); Adam amplifies those last bits a
    // little over the steps.
    List<JsonNode> n1 = metrics("one");
    List<JsonNode> n2 = metrics("two");
    StringBuilder norms = new StringBuilder();
    for (int i = 0; i < Math.min(n1.size(), n2.size()); i++) {
      norms.append(
          String.format(
              " %d:%.8f/%.8f",
              n1.get(i).path("step").asLong(),
              n1.get(i).path("grad_norm").asDouble(),
              n2.get(i).path("grad_norm").asDouble()));
    }
    assertTrue(
        maxDiff < 1e-4,
        "max |param(1 rank) - param(2 ranks)| = " + maxDiff + "; grad norms" + norms);
    List<JsonNode> m1 = metrics("one");
    List<JsonNode> m2 = metrics("two");
    assertEquals(m1.size(), m2.size());
    JsonNode last = m2.get(m2.size() - 1);
    assertEquals(16, last.path("step").asLong());
    assertEquals(16 * 1024, last.path("tokens_seen").asLong());
    assertEquals(m1.get(m1.size() - 1).path("loss").asDouble(), last.path("loss").asDouble(), 0.02);
    assertTrue(hdfs.fs.exists(new org.apache.hadoop.fs.Path("/runs/two/DONE")));
  }
}
