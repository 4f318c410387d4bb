package io.crossover.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The deployment path on real containers, from images built on this machine ({@link Images}): HDFS
 * (a NameNode and a DataNode) and a Spark standalone cluster (a master and two workers of the
 * application image, one core each), all on a Docker network that holds only these containers and
 * has no route out. The application image ({@code k8s/Dockerfile}) is the client: {@code
 * spark-submit} from it runs {@code ingest} from HDFS and 2-rank {@code train} runs whose results
 * are read back from HDFS; in the second run one worker container is killed mid-run, Spark retries
 * the stage on a replacement worker, and the run still ends with exactly T tokens on the same
 * trajectory. Skipped only where no Docker engine answers.
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerClusterIT {
  static final String FS = "hdfs://namenode:8020";
  static final String JAR = "/opt/crossover/crossover.jar";
  static final int STEPS = 160;
  static Images images;

  @BeforeAll
  static void buildImages() throws Exception {
    images = Images.build();
  }

  @Test
  void theApplicationImageRunsDoctorAndASingleRankTraining() throws Exception {
    try (Network network = isolated();
        GenericContainer<?> app = node(network, images.crossover(), "app", "sleep", "infinity")) {
      app.start();
      app.copyFileToContainer(MountableFile.forHostPath(IngestIT.BROWN), "/tmp/brown.jsonl.gz");

      String doctor = submit(app, "local[1]", "doctor");
      // The natives extracted when the image was built are the ones loaded: nothing is fetched.
      assertTrue(doctor.matches("(?s).*natives loaded[^\\n]*/opt/crossover/djl/.*"), doctor);
      submit(app, "local[1]", "ingest", "--input", "/tmp/brown.jsonl.gz", "--dataset", "/tmp/ds");
      String[] train = SparkSubmitIT.trainArgs("file:///tmp/ds", "file:///tmp/runs", "single");
      train[Arrays.asList(train).indexOf("cluster.world-size=2")] = "cluster.world-size=1";
      submit(app, "local[1]", train);

      exec(app, "test", "-f", "/tmp/runs/single/DONE");
      JsonNode last = last(exec(app, "cat", "/tmp/runs/single/metrics.jsonl"));
      assertEquals(8, last.path("step").asLong());
      assertEquals(8 * 1024, last.path("tokens_seen").asLong());
    }
  }

  @Test
  void ingestAndTrainOnContainerisedHdfsAndSparkAndSurviveAKilledWorker() throws Exception {
    ExecutorService background = Executors.newSingleThreadExecutor();
    try (Network network = isolated();
        GenericContainer<?> namenode =
            hdfs(network, "namenode").waitingFor(Wait.forLogMessage(".*NameNode RPC up.*", 1));
        GenericContainer<?> datanode =
            hdfs(network, "datanode")
                .waitingFor(Wait.forLogMessage(".*successfully registered with NN.*", 1));
        GenericContainer<?> master =
            node(
                    network,
                    images.spark(),
                    "master",
                    "spark-class",
                    "org.apache.spark.deploy.master.Master",
                    "--host",
                    "master")
                .waitingFor(Wait.forLogMessage(".*I have been elected leader.*", 1));
        GenericContainer<?> worker1 = worker(network, "worker1");
        GenericContainer<?> worker2 = worker(network, "worker2");
        GenericContainer<?> worker3 = worker(network, "worker3");
        GenericContainer<?> client =
            node(network, images.crossover(), "client", "sleep", "infinity")) {
      namenode.start();
      datanode.start();
      master.start();
      worker1.start();
      worker2.start();
      client.start();

      namenode.copyFileToContainer(
          MountableFile.forHostPath(IngestIT.BROWN), "/tmp/brown.jsonl.gz");
      exec(namenode, "hdfs", "dfs", "-mkdir", "-p", "/corpus");
      exec(namenode, "hdfs", "dfs", "-put", "/tmp/brown.jsonl.gz", "/corpus/");
      String cluster = "spark://master:7077";
      submit(client, cluster, "ingest", "--input", FS + "/corpus", "--dataset", FS + "/ds");

      // An uninterrupted run: the trajectory the interrupted one must reproduce.
      submit(client, cluster, runArgs("steady"));
      exec(namenode, "hdfs", "dfs", "-test", "-e", "/runs/steady/DONE");
      List<JsonNode> steady =
          lines(exec(namenode, "hdfs", "dfs", "-cat", "/runs/steady/metrics.jsonl"));
      assertEquals(STEPS, steady.get(steady.size() - 1).path("step").asLong());

      // The same run again; once it is past its first checkpoint, one worker container dies
      // (its executor with it) and a replacement joins, so the retried stage finds two slots.
      Future<String> run = background.submit(() -> submit(client, cluster, runArgs("killed")));
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      while (namenode
              .execInContainer("hdfs", "dfs", "-test", "-e", "/runs/killed/checkpoints/step-40")
              .getExitCode()
          != 0) {
        assertTrue(System.nanoTime() < deadline, "the run never reached its step-40 checkpoint");
        assertTrue(!run.isDone(), () -> "the run ended early: " + outcome(run));
      }
      DockerClientFactory.instance().client().killContainerCmd(worker2.getContainerId()).exec();
      worker3.start();
      String output = run.get(10, TimeUnit.MINUTES);
      assertTrue(
          output.contains("Lost executor") || output.contains("ExecutorLostFailure"),
          "the killed worker's executor was lost and the stage retried:\n" + output);

      exec(namenode, "hdfs", "dfs", "-test", "-e", "/runs/killed/DONE");
      List<JsonNode> killed =
          lines(exec(namenode, "hdfs", "dfs", "-cat", "/runs/killed/metrics.jsonl"));
      JsonNode last = killed.get(killed.size() - 1);
      assertEquals(STEPS, last.path("step").asLong());
      assertEquals(
          STEPS * 1024L, last.path("tokens_seen").asLong(), "T tokens: none skipped or repeated");
      assertEquals(steps(steady), steps(killed), "the same steps logged, each once");
      // Resumed from a checkpoint onto the same deterministic trajectory.
      assertEquals(
          steady.get(steady.size() - 1).path("loss").asDouble(),
          last.path("loss").asDouble(),
          1e-4);
    } finally {
      background.shutdownNow();
    }
  }

  /** The 2-rank MDM run of {@link SparkSubmitIT#trainArgs}, 160 steps, a checkpoint every 20. */
  static String[] runArgs(String run) {
    String[] args = SparkSubmitIT.trainArgs(FS + "/ds", FS + "/runs", run);
    args = DistributedTrainIT.with(args, "--total-tokens", STEPS + "Ki");
    return set(args, "train.checkpoint-every=20");
  }

  /** A network that holds only this test's containers and has no route out of this machine. */
  static Network isolated() {
    return Network.builder().createNetworkCmdModifier(cmd -> cmd.withInternal(true)).build();
  }

  /** A container whose host name is its name on the network, so Spark's addresses resolve. */
  static GenericContainer<?> node(Network network, String image, String host, String... command) {
    return new GenericContainer<>(DockerImageName.parse(image))
        .withNetwork(network)
        .withNetworkAliases(host)
        .withCreateContainerCmdModifier(cmd -> cmd.withHostName(host))
        .withCommand(command)
        .withStartupTimeout(Duration.ofMinutes(3));
  }

  static GenericContainer<?> hdfs(Network network, String role) {
    return node(network, images.hdfs(), role, "hdfs", role)
        .withEnv("HDFS_NAMENODE_HOST", "namenode");
  }

  /**
   * A worker from the application image: a Spark image whose executors find the natives already
   * extracted (as Kubernetes executors of that image do), instead of unpacking 420 MB per run.
   */
  static GenericContainer<?> worker(Network network, String host) {
    return node(
            network,
            images.crossover(),
            host,
            "spark-class",
            "org.apache.spark.deploy.worker.Worker",
            "--host",
            host,
            "--cores",
            "1",
            "--memory",
            "2g",
            "spark://master:7077")
        .waitingFor(Wait.forLogMessage(".*Successfully registered with master.*", 1));
  }

  /** spark-submit of the application jar from {@code client}; returns its output. */
  static String submit(GenericContainer<?> client, String master, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                "spark-submit",
                "--master",
                master,
                "--class",
                "io.crossover.driver.Crossover",
                "--driver-memory",
                "1g",
                "--conf",
                "spark.driver.host=" + client.getContainerInfo().getConfig().getHostName(),
                "--conf",
                "spark.dynamicAllocation.enabled=false",
                "--conf",
                "spark.executor.memory=1g",
                JAR));
    command.addAll(List.of(args));
    Container.ExecResult r = client.execInContainer(command.toArray(new String[0]));
    String output = r.getStdout() + r.getStderr();
    assertEquals(0, r.getExitCode(), () -> String.join(" ", command) + "\n" + output);
    return output;
  }

  static String exec(GenericContainer<?> c, String... command) throws Exception {
    Container.ExecResult r = c.execInContainer(command);
    assertEquals(
        0,
        r.getExitCode(),
        () -> String.join(" ", command) + "\n" + r.getStdout() + "\n" + r.getStderr());
    return r.getStdout();
  }

  static String[] set(String[] args, String setting) {
    String[] out = Arrays.copyOf(args, args.length + 2);
    out[args.length] = "--set";
    out[args.length + 1] = setting;
    return out;
  }

  static List<JsonNode> lines(String jsonl) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : jsonl.strip().split("\n")) {
      out.add(Json.MAPPER.readTree(line));
    }
    return out;
  }

  static List<Long> steps(List<JsonNode> metrics) {
    return metrics.stream().map(m -> m.path("step").asLong()).toList();
  }

  static JsonNode last(String jsonl) throws Exception {
    List<JsonNode> all = lines(jsonl);
    return all.get(all.size() - 1);
  }

  static String outcome(Future<String> run) {
    try {
      return run.get();
    } catch (Exception e) {
      return String.valueOf(e.getCause());
    }
  }
}
