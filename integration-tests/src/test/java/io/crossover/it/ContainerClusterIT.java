package io.crossover.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The whole pipeline against real containers: HDFS (a namenode and a datanode, the official Apache
 * Hadoop image) and a Spark standalone cluster (a master and two workers, the official Apache Spark
 * 4.1 image, Java 17). The application jar is submitted with spark-submit inside the master
 * container: {@code ingest} of the shipped Brown slice from HDFS, then a 2-rank {@code train} whose
 * results are read back from HDFS. Where no Docker engine is available the class is skipped ({@code
 * disabledWithoutDocker}); MiniDFSCluster + local-cluster cover the same paths everywhere.
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerClusterIT {
  static final DockerImageName HADOOP = DockerImageName.parse("apache/hadoop:3.4.1");
  static final DockerImageName SPARK =
      DockerImageName.parse(
          System.getProperty(
              "crossover.it.spark-image", "apache/spark:4.1.3-scala2.13-java17-ubuntu"));
  static final String FS = "hdfs://namenode:8020";

  static List<String> hadoopEnv() {
    return List.of(
        "CORE-SITE.XML_fs.defaultFS=" + FS,
        "HDFS-SITE.XML_dfs.namenode.rpc-address=namenode:8020",
        "HDFS-SITE.XML_dfs.replication=1",
        "HDFS-SITE.XML_dfs.permissions.enabled=false",
        "ENSURE_NAMENODE_DIR=/tmp/hadoop-root/dfs/name");
  }

  static GenericContainer<?> hadoop(Network network, String alias, String command) {
    GenericContainer<?> c =
        new GenericContainer<>(HADOOP)
            .withNetwork(network)
            .withNetworkAliases(alias)
            .withCommand(command.split(" "))
            .withStartupTimeout(Duration.ofMinutes(3));
    for (String kv : hadoopEnv()) {
      int eq = kv.indexOf('=');
      c.withEnv(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return c;
  }

  static GenericContainer<?> spark(Network network, String alias, String... command) {
    return new GenericContainer<>(SPARK)
        .withNetwork(network)
        .withNetworkAliases(alias)
        .withEnv("SPARK_NO_DAEMONIZE", "true")
        .withCommand(command)
        .withStartupTimeout(Duration.ofMinutes(3));
  }

  @Test
  void ingestAndTwoRankTrainingOnContainerisedHdfsAndSpark() throws Exception {
    Path jar = SparkSubmitIT.JAR;
    assertTrue(jar.toFile().isFile(), jar + " is missing: build it with mvn package");
    try (Network network = Network.newNetwork();
        GenericContainer<?> namenode =
            hadoop(network, "namenode", "hdfs namenode")
                .waitingFor(Wait.forLogMessage(".*IPC Server listener on 8020.*", 1));
        GenericContainer<?> datanode = hadoop(network, "datanode", "hdfs datanode");
        GenericContainer<?> master =
            spark(
                    network,
                    "master",
                    "/opt/spark/bin/spark-class",
                    "org.apache.spark.deploy.master.Master",
                    "--host",
                    "master")
                .waitingFor(Wait.forLogMessage(".*I have been elected leader.*", 1));
        GenericContainer<?> worker1 = worker(network, "worker1");
        GenericContainer<?> worker2 = worker(network, "worker2")) {
      namenode.start();
      datanode.start();
      master.start();
      worker1.start();
      worker2.start();

      namenode.copyFileToContainer(
          MountableFile.forHostPath(IngestIT.BROWN), "/tmp/brown.jsonl.gz");
      exec(namenode, "hdfs", "dfs", "-mkdir", "-p", "/corpus");
      exec(namenode, "hdfs", "dfs", "-put", "/tmp/brown.jsonl.gz", "/corpus/");
      master.copyFileToContainer(MountableFile.forHostPath(jar), "/tmp/crossover.jar");

      submit(master, "ingest", "--input", FS + "/corpus", "--dataset", FS + "/datasets/brown");
      submit(master, SparkSubmitIT.trainArgs(FS + "/datasets/brown", FS + "/runs", "containers"));

      exec(namenode, "hdfs", "dfs", "-test", "-e", "/runs/containers/DONE");
      String metrics = exec(namenode, "hdfs", "dfs", "-cat", "/runs/containers/metrics.jsonl");
      String[] lines = metrics.strip().split("\n");
      assertTrue(lines[lines.length - 1].contains("\"tokens_seen\":8192"), metrics);
    }
  }

  static GenericContainer<?> worker(Network network, String alias) {
    return spark(
            network,
            alias,
            "/opt/spark/bin/spark-class",
            "org.apache.spark.deploy.worker.Worker",
            "--cores",
            "1",
            "--memory",
            "2g",
            "spark://master:7077")
        .withEnv("DJL_CACHE_DIR", "/tmp/djl")
        .waitingFor(Wait.forLogMessage(".*Successfully registered with master.*", 1));
  }

  static void submit(GenericContainer<?> master, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                "/opt/spark/bin/spark-submit",
                "--master",
                "spark://master:7077",
                "--class",
                "io.crossover.driver.Crossover",
                "--total-executor-cores",
                "2",
                "--executor-cores",
                "1",
                "--executor-memory",
                "1g",
                "--conf",
                "spark.dynamicAllocation.enabled=false",
                "--conf",
                "spark.executorEnv.DJL_OFFLINE=true",
                "--conf",
                "spark.executorEnv.DJL_CACHE_DIR=/tmp/djl",
                "--conf",
                "spark.driver.extraJavaOptions=-Dai.djl.offline=true",
                "/tmp/crossover.jar"));
    command.addAll(List.of(args));
    exec(master, command.toArray(new String[0]));
  }

  static String exec(GenericContainer<?> c, String... command) throws Exception {
    Container.ExecResult r = c.execInContainer(command);
    assertEquals(
        0,
        r.getExitCode(),
        () ->
            String.join(" ", command)
                + "\nstdout:\n"
                + r.getStdout()
                + "\nstderr:\n"
                + r.getStderr());
    return r.getStdout();
  }
}
