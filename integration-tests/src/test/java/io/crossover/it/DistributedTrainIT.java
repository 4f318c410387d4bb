package io.crossover.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import io.crossover.data.config.ConfigLoader;
import io.crossover.data.ingest.IngestJob;
import io.crossover.driver.cli.CrossoverCommand;
import io.crossover.driver.spark.SparkSessions;
import io.crossover.executor.checkpoint.SafeTensors;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkContext$;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.Option;

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
    hdfs.fs.copyFromLocalFile(new Path(IngestIT.BROWN.toUri()), new Path("/corpus/brown.jsonl.gz"));
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
                "run.root=" + hdfs.uri("/runs"),
                // FP32, so that one rank and two agree to float rounding; buckets of 4 KiB, so that
                // gradients leave in many buckets while backward runs.
                "--set",
                "train.precision=fp32",
                "--set",
                "cluster.bucket-bytes=4096"));
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }

  static Map<String, SafeTensors.Tensor> finalModel(String run) throws Exception {
    FileSystem fs = hdfs.fs;
    try (InputStream in =
        fs.open(new Path("/runs/" + run + "/checkpoints/step-16/model.safetensors"))) {
      return SafeTensors.read(in, new HashMap<>());
    }
  }

  static List<JsonNode> metrics(String run) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    try (InputStream in = hdfs.fs.open(new Path("/runs/" + run + "/metrics.jsonl"))) {
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        out.add(Json.MAPPER.readTree(line));
      }
    }
    return out;
  }

  @Test
  void twoRanksTrainTheSameModelAsOneRankWithTheSameGlobalBatch() throws Exception {
    assertEquals(0, CrossoverCommand.execute(train("one", 1)));
    assertEquals(0, CrossoverCommand.execute(train("two", 2)));
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
    // The logged loss is the mean over ranks: the full batch's loss, to rounding.
    assertEquals(m1.get(m1.size() - 1).path("loss").asDouble(), last.path("loss").asDouble(), 1e-3);
    assertTrue(hdfs.fs.exists(new Path("/runs/two/DONE")));
    // Two ranks spend time in the ring, one none; the model's FLOP rate follows tokens/s; a CPU
    // has no published peak, so no MFU.
    JsonNode alone = m1.get(m1.size() - 1);
    assertEquals(0, alone.path("all_reduce_s").asDouble());
    assertTrue(last.path("all_reduce_s").asDouble() > 0, last.toString());
    assertTrue(last.path("all_reduce_wait_s").asDouble() >= 0, last.toString());
    assertTrue(last.path("model_flops_per_s").asDouble() > 0, last.toString());
    assertTrue(Double.isNaN(last.path("mfu").asDouble()), last.toString());
  }

  @Test
  void aKilledExecutorCostsAStageRetryNotTheRun() throws Exception {
    String[] longer = {"--set", "train.checkpoint-every=20"};
    // The killed run shards its optimiser (ZeRO-2): every rank's shard is checkpointed and
    // reloaded.
    String[] zero2 = {"--set", "optim.shard=gradients"};
    assertEquals(
        0,
        CrossoverCommand.execute(
            concat(with(train("steady", 2), "--total-tokens", "80Ki"), longer)));
    Future<Integer> run =
        Executors.newSingleThreadExecutor()
            .submit(
                () ->
                    CrossoverCommand.execute(
                        concat(
                            with(train("killed", 2), "--total-tokens", "80Ki"),
                            concat(longer, zero2))));
    // Wait until the run is past its first checkpoint, then kill one executor JVM.
    Path checkpoint = new Path("/runs/killed/checkpoints/step-20");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!hdfs.fs.exists(checkpoint)) {
      assertTrue(System.nanoTime() < deadline, "the run never reached step 20");
      Thread.sleep(100);
    }
    ProcessHandle executor =
        ProcessHandle.current()
            .descendants()
            .filter(p -> commandLine(p).contains("CoarseGrainedExecutorBackend"))
            .findFirst()
            .orElseThrow();
    assertTrue(executor.destroyForcibly(), "kill executor " + executor.pid());
    assertEquals(0, run.get(300, TimeUnit.SECONDS), "the run finished after a retry");

    JsonNode steady = metrics("steady").get(metrics("steady").size() - 1);
    List<JsonNode> killedLog = metrics("killed");
    JsonNode killed = killedLog.get(killedLog.size() - 1);
    assertEquals(80, killed.path("step").asLong());
    assertEquals(
        80 * 1024,
        killed.path("tokens_seen").asLong(),
        "tokens seen = T: nothing skipped or repeated");
    assertEquals(80, killedLog.size(), "each step logged once");
    // The retry fenced out the first attempt, whose surviving task could otherwise still write.
    try (var in = hdfs.fs.open(new Path("/runs/killed/.fence"))) {
      assertTrue(Json.MAPPER.readTree(in).path("attempt").asInt() >= 1, "the retry's attempt");
    }
    // The retried stage resumes from a checkpoint onto the same deterministic trajectory, and the
    // sharded optimiser steps bitwise as the whole one: the final weights are the same bytes.
    assertEquals(steady.path("loss").asDouble(), killed.path("loss").asDouble(), 1e-4);
    assertArrayEquals(
        bytes("/runs/steady/checkpoints/step-80/model.safetensors"),
        bytes("/runs/killed/checkpoints/step-80/model.safetensors"),
        "ZeRO-2 with a stage retry ends with the weights of the unsharded, uninterrupted run");
    assertTrue(
        hdfs.fs.exists(new Path("/runs/killed/checkpoints/step-80/optimizer-1-of-2.safetensors")));
  }

  private byte[] bytes(String path) throws IOException {
    try (InputStream in = hdfs.fs.open(new Path(path))) {
      return in.readAllBytes();
    }
  }

  static String commandLine(ProcessHandle p) {
    try {
      return new String(Files.readAllBytes(java.nio.file.Path.of("/proc/" + p.pid() + "/cmdline")));
    } catch (IOException e) {
      return "";
    }
  }

  /** The same arguments with the value after {@code option} replaced. */
  static String[] with(String[] args, String option, String value) {
    String[] out = args.clone();
    for (int i = 0; i + 1 < out.length; i++) {
      if (out[i].equals(option)) {
        out[i + 1] = value;
      }
    }
    return out;
  }

  /** The same arguments with Spark in this JVM (local[2]): no executors at all. */
  static String[] inProcessSpark(String[] args) {
    String[] out = args.clone();
    for (int i = 0; i < out.length; i++) {
      if (out[i].startsWith("cluster.master=")) {
        out[i] = "cluster.master=local[2]";
      }
    }
    return out;
  }

  static String[] concat(String[] a, String[] b) {
    String[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void theDriverServesTheRunsFiguresToPrometheusWhileItTrains() throws Exception {
    String sparkConf =
        "cluster.spark-conf={\"spark.ui.enabled\"=\"true\",\"spark.ui.port\"=\"0\","
            + "\"spark.metrics.conf.*.sink.prometheusServlet.class\"="
            + "\"org.apache.spark.metrics.sink.PrometheusServlet\","
            + "\"spark.metrics.conf.*.sink.prometheusServlet.path\"=\"/metrics/prometheus\"}";
    ExecutorService pool = Executors.newSingleThreadExecutor();
    Future<Integer> run =
        pool.submit(
            () ->
                CrossoverCommand.execute(
                    concat(
                        with(train("scraped", 2), "--total-tokens", "64Ki"),
                        new String[] {"--set", sparkConf})));
    Pattern step = Pattern.compile("crossover_scraped_train_step_Value\\{[^}]*\\} (\\S+)");
    TreeSet<Double> steps = new TreeSet<>();
    String scraped = "";
    try {
      while (!run.isDone()) {
        Option<SparkContext> active = SparkContext$.MODULE$.getActive();
        if (active.isDefined() && active.get().uiWebUrl().isDefined()) {
          try (InputStream in =
              java.net
                  .URI
                  .create(active.get().uiWebUrl().get() + "/metrics/prometheus")
                  .toURL()
                  .openStream()) {
            String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Matcher m = step.matcher(body);
            if (m.find() && !m.group(1).equals("NaN")) {
              steps.add(Double.parseDouble(m.group(1)));
              scraped = body;
            }
          } catch (IOException e) {
            // The UI is starting or stopping: scrape again.
          }
        }
        Thread.sleep(200);
      }
      assertEquals(0, run.get());
    } finally {
      pool.shutdownNow();
    }
    assertTrue(steps.size() >= 2, "the step advanced while scraping: " + steps);
    assertTrue(steps.last() <= 64, "steps " + steps);
    for (String figure :
        List.of("tokens_seen", "epoch", "loss", "tokens_per_s", "all_reduce_s", "mfu")) {
      assertTrue(
          scraped.contains("crossover_scraped_train_" + figure + "_Value"),
          figure + " missing from:\n" + scraped);
    }
  }

  @Test
  void impossibleLaunchesAreRefusedWithTheSetting() throws IOException {
    StringWriter err = new StringWriter();
    var cli = CrossoverCommand.commandLine();
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(inProcessSpark(train("refused", 2)));
    assertEquals(CrossoverCommand.EXIT_USAGE, code, err.toString());
    assertTrue(
        err.toString().contains("config key 'cluster.world-size': value 2 needs 2 executors"),
        err.toString());
    // A refused launch leaves no run directory behind.
    assertTrue(!hdfs.fs.exists(new Path("/runs/refused")), "no trace");
    err.getBuffer().setLength(0);
    code =
        cli.execute(
            concat(
                inProcessSpark(train("refused", 2)),
                new String[] {
                  "--set", "cluster.spark-conf={\"spark.dynamicAllocation.enabled\"=\"true\"}"
                }));
    assertEquals(CrossoverCommand.EXIT_USAGE, code, err.toString());
    assertTrue(
        err.toString().contains("\"spark.dynamicAllocation.enabled\" is true"), err.toString());
    // The fix the first refusal advised (lower cluster.world-size), with the same --run, trains.
    err.getBuffer().setLength(0);
    assertEquals(0, cli.execute(train("refused", 1)), err.toString());
    assertTrue(hdfs.fs.exists(new Path("/runs/refused/DONE")), "trained after all");
  }
}
