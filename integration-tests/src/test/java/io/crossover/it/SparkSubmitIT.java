package io.crossover.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;

/**
 * The application jar ({@code driver/target/crossover.jar}) under {@code spark-submit}: a separate
 * JVM runs {@code org.apache.spark.deploy.SparkSubmit} with only what a Spark distribution provides
 * on its class path (our modules, DJL, picocli and Typesafe Config removed), against a standalone
 * master with two worker JVMs ({@code local-cluster}) and real HDFS. The jar must therefore carry
 * everything Crossover needs beyond Spark, and executors get it from the driver.
 */
class SparkSubmitIT {
  static final Path JAR = Path.of("../driver/target/crossover.jar").toAbsolutePath().normalize();

  /** Class path entries that a Spark 4.2 distribution does not have. */
  static final List<String> NOT_IN_SPARK =
      List.of(
          "/io/crossover/",
          "/crossover-", // our module jars, in ~/.m2 or in a reactor's target/
          "/target/classes",
          "/target/test-classes",
          "/ai/djl/",
          "/net/java/dev/jna/",
          "/info/picocli/",
          "/org/jfree/",
          "/com/typesafe/config/",
          "hadoop-client-minicluster",
          "/net/jqwik/",
          "/org/junit/");

  @Test
  void applicationJarIngestsAndTrainsUnderSparkSubmit() throws Exception {
    assertTrue(Files.isRegularFile(JAR), JAR + " is missing: build it with mvn package");
    try (MiniHdfs hdfs = new MiniHdfs()) {
      hdfs.fs.copyFromLocalFile(
          new org.apache.hadoop.fs.Path(IngestIT.BROWN.toUri()),
          new org.apache.hadoop.fs.Path("/corpus/brown.jsonl.gz"));
      String dataset = hdfs.uri("/datasets/brown");

      submit("ingest", "--input", hdfs.uri("/corpus"), "--dataset", dataset);
      submit(trainArgs(dataset, hdfs.uri("/runs"), "submitted"));

      FileSystem fs = hdfs.fs;
      assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/runs/submitted/DONE")));
      String[] lines =
          new String(
                  fs.open(new org.apache.hadoop.fs.Path("/runs/submitted/metrics.jsonl"))
                      .readAllBytes(),
                  StandardCharsets.UTF_8)
              .split("\n");
      JsonNode last = Json.MAPPER.readTree(lines[lines.length - 1]);
      assertEquals(8 * 1024, last.get("tokens_seen").asLong());
      assertEquals(8, last.get("step").asInt());
    }
  }

  /** A 2-rank FP32 MDM run of 8 steps (8Ki tokens, 4Ki unique) of the tiny model, without evals. */
  static String[] trainArgs(String dataset, String runRoot, String run) {
    return new String[] {
      "train",
      "--objective",
      "mdm",
      "--preset",
      "tiny",
      "--dataset",
      dataset,
      "--unique-tokens",
      "4Ki",
      "--total-tokens",
      "8Ki",
      "--seq-len",
      "64",
      "--global-batch",
      "16",
      "--run",
      run,
      "--set",
      "cluster.world-size=2",
      "--set",
      "eval.min-points=0",
      "--set",
      "eval.every-epoch=false",
      "--set",
      "eval.validation-sequences=4",
      "--set",
      // tiny's products are too small for bf16 to pay on a CPU (0.68x FP32 here).
      "train.precision=fp32",
      "--set",
      "run.root=" + runRoot
    };
  }

  /** Runs one crossover subcommand through spark-submit and fails with its output if it fails. */
  static void submit(String... args) throws Exception {
    String classPath =
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(e -> NOT_IN_SPARK.stream().noneMatch(e::contains))
            .collect(Collectors.joining(File.pathSeparator));
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (flag.startsWith("--add-") || flag.startsWith("-D") || flag.startsWith("-XX:")) {
        command.add(flag);
      }
    }
    command.addAll(
        List.of(
            "-Xmx1g",
            "-cp",
            classPath,
            "org.apache.spark.deploy.SparkSubmit",
            "--master",
            "local-cluster[2,1,1024]",
            "--class",
            "io.crossover.driver.Crossover",
            "--conf",
            "spark.executor.extraClassPath=" + classPath,
            JAR.toString()));
    command.addAll(List.of(args));
    Path log = Files.createTempFile(Path.of("target").toAbsolutePath(), "spark-submit", ".log");
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
    }
    String output = Files.readString(log);
    assertEquals(
        0,
        p.exitValue(),
        () -> "spark-submit " + String.join(" ", args) + " failed; output:\n" + output);
  }
}
