package io.crossover.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.driver.cli.CrossoverCommand;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkContext$;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Option;

/**
 * Spark on Kubernetes against an API server: fabric8's mock server in CRUD mode on loopback, which
 * stores what is created and answers gets, lists and watches as a real one does, but runs nothing.
 * The manifests {@code k8s render} writes are created on it as {@code kubectl apply} would; its
 * {@code spark-submit.sh} is run as written, by Spark's own submission client, in cluster mode; and
 * a driver in client mode has Spark's executor allocator create the executor pods. What needs a
 * real cluster (scheduling on GPU nodes, pulling the image, the Spark Operator acting on its
 * objects) is left to one: see k8s/README.md.
 */
class KubernetesIT {
  static final String NAMESPACE = "crossover";
  static final String IMAGE = "crossover:it";
  static final String OPERATOR = "sparkoperator.k8s.io";

  static KubernetesMockServer server;
  static NamespacedKubernetesClient client;

  @TempDir static Path tmp;

  @BeforeAll
  static void start() {
    server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), new ApplyingDispatcher(), false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
    // The Spark Operator's resource kinds, as installing the operator registers them.
    for (String kind : List.of("SparkApplication", "ScheduledSparkApplication")) {
      client.resource(crd(kind)).create();
    }
  }

  /**
   * The CRUD dispatcher, plus server-side apply as an API server does it: the object is created
   * when it does not exist and replaced when it does (the mock answers 404 and 415). Spark 4's
   * submission client applies the driver's service this way.
   */
  static final class ApplyingDispatcher extends KubernetesCrudDispatcher {
    @Override
    public io.fabric8.mockwebserver.http.MockResponse handlePatch(
        io.fabric8.mockwebserver.http.RecordedRequest request) {
      String type = request.getHeader("Content-Type");
      if (type == null || !type.startsWith("application/apply-patch")) {
        return super.handlePatch(request);
      }
      String path = request.getPath().replaceAll("\\?.*", "");
      return handleGet(path).code() == 404 ? handleCreate(request) : handleUpdate(request);
    }
  }

  @AfterAll
  static void stop() {
    client.close();
    server.destroy();
  }

  static String master() {
    return "k8s://http://" + server.getHostName() + ":" + server.getPort();
  }

  static CustomResourceDefinition crd(String kind) {
    String plural = kind.toLowerCase(Locale.ROOT) + "s";
    return new CustomResourceDefinitionBuilder()
        .withNewMetadata()
        .withName(plural + "." + OPERATOR)
        .endMetadata()
        .withNewSpec()
        .withGroup(OPERATOR)
        .withScope("Namespaced")
        .withNewNames()
        .withKind(kind)
        .withPlural(plural)
        .endNames()
        .addNewVersion()
        .withName("v1beta2")
        .withServed(true)
        .withStorage(true)
        .endVersion()
        .endSpec()
        .build();
  }

  /** Renders a run's manifests (GPU executors, 2 ranks) into a new directory. */
  static Path render(String run, String... extra) {
    Path dir = tmp.resolve("render-" + run);
    List<String> args =
        new ArrayList<>(
            List.of(
                "k8s",
                "render",
                "--image",
                IMAGE,
                "--namespace",
                NAMESPACE,
                "--out",
                dir.toString()));
    args.addAll(List.of(extra));
    assertEquals(0, CrossoverCommand.execute(args.toArray(new String[0])), "k8s render");
    return dir;
  }

  /** What {@code kubectl apply -f file} does: every object in it, created. */
  static List<HasMetadata> apply(Path file) throws Exception {
    List<HasMetadata> created = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      for (HasMetadata item : client.load(in).items()) {
        created.add(client.resource(item).inNamespace(NAMESPACE).createOr(o -> o.update()));
      }
    }
    return created;
  }

  @Test
  void theRenderedObjectsAreCreatedAndTheirReferencesResolve() throws Exception {
    Path train =
        render("applied", "--gpu", "--set", "cluster.world-size=2", "--set", "run.name=applied");
    apply(train.resolve("rbac.yaml"));
    apply(train.resolve("configmap.yaml"));
    List<HasMetadata> app = apply(train.resolve("spark-application.yaml"));
    assertEquals("SparkApplication", app.get(0).getKind());
    assertEquals(OPERATOR + "/v1beta2", app.get(0).getApiVersion());
    GenericKubernetesResource stored = stored("SparkApplication", "crossover-applied");
    assertReferencesResolve(stored.getAdditionalProperties());

    Path sweep = render("toy", "--sweep", "toy");
    apply(sweep.resolve("configmap.yaml"));
    List<HasMetadata> scheduled = apply(sweep.resolve("scheduled-sweep.yaml"));
    assertEquals("ScheduledSparkApplication", scheduled.get(0).getKind());
    GenericKubernetesResource cron = stored("ScheduledSparkApplication", "crossover-sweep-toy");
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) cron.getAdditionalProperties().get("spec");
    assertNotNull(spec.get("schedule"), "a schedule");
    assertReferencesResolve(Map.of("spec", spec.get("template")));

    // The RoleBinding binds the ServiceAccount to the Role, both of which exist.
    var binding = client.rbac().roleBindings().inNamespace(NAMESPACE).withName("crossover").get();
    assertNotNull(
        client
            .rbac()
            .roles()
            .inNamespace(NAMESPACE)
            .withName(binding.getRoleRef().getName())
            .get());
    assertNotNull(
        client
            .serviceAccounts()
            .inNamespace(NAMESPACE)
            .withName(binding.getSubjects().get(0).getName())
            .get());
  }

  /** The Spark Operator object of {@code kind} called {@code name}, as the API server has it. */
  static GenericKubernetesResource stored(String kind, String name) {
    GenericKubernetesResource stored =
        client
            .genericKubernetesResources(OPERATOR + "/v1beta2", kind)
            .inNamespace(NAMESPACE)
            .withName(name)
            .get();
    assertNotNull(stored, kind + " " + name + " is stored under its kind");
    return stored;
  }

  /** The service account the driver runs as and the config map it mounts exist. */
  @SuppressWarnings("unchecked")
  static void assertReferencesResolve(Map<String, Object> object) {
    Map<String, Object> spec = (Map<String, Object>) object.get("spec");
    Map<String, Object> driver = (Map<String, Object>) spec.get("driver");
    String account = (String) driver.get("serviceAccount");
    assertNotNull(
        client.serviceAccounts().inNamespace(NAMESPACE).withName(account).get(),
        "service account " + account);
    List<Map<String, Object>> volumes = (List<Map<String, Object>>) spec.get("volumes");
    String configMap = (String) ((Map<String, Object>) volumes.get(0).get("configMap")).get("name");
    ConfigMap config = client.configMaps().inNamespace(NAMESPACE).withName(configMap).get();
    assertNotNull(config, "config map " + configMap);
    assertTrue(config.getData().containsKey("config.json"), "the run's config in " + configMap);
  }

  @Test
  void spark_submitInClusterModeCreatesTheDriverPodTheRenderDescribes() throws Exception {
    Path dir =
        render(
            "submitted", "--gpu", "--set", "cluster.world-size=2", "--set", "run.name=submitted");
    apply(dir.resolve("rbac.yaml"));
    apply(dir.resolve("configmap.yaml"));
    // spark-submit.sh as written, with spark-submit being Spark's own SparkSubmit on this class
    // path; it returns once the driver pod exists (nothing would ever run it here).
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Path sparkSubmit = bin.resolve("spark-submit");
    Files.writeString(
        sparkSubmit,
        "#!/usr/bin/env bash\nexec "
            + String.join(" ", javaCommand().stream().map(KubernetesIT::quoted).toList())
            + " org.apache.spark.deploy.SparkSubmit"
            + " --conf spark.kubernetes.submission.waitAppCompletion=false \"$@\"\n");
    assertTrue(sparkSubmit.toFile().setExecutable(true));
    Path log = tmp.resolve("spark-submit.log");
    ProcessBuilder pb =
        new ProcessBuilder("bash", "spark-submit.sh")
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("PATH", bin + File.pathSeparator + System.getenv("PATH"));
    pb.environment().put("K8S_API_SERVER", master().substring("k8s://".length()));
    Process p = pb.start();
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), "spark-submit returned");
    assertEquals(0, p.exitValue(), () -> "spark-submit failed:\n" + read(log));

    List<Pod> drivers =
        client.pods().inNamespace(NAMESPACE).withLabel("spark-role", "driver").list().getItems();
    assertEquals(1, drivers.size(), () -> "driver pods: " + drivers + "\n" + read(log));
    Pod driver = drivers.get(0);
    Container c = driver.getSpec().getContainers().get(0);
    assertEquals(IMAGE, c.getImage());
    assertEquals("crossover", driver.getSpec().getServiceAccountName());
    String args = String.join(" ", c.getArgs());
    assertTrue(args.startsWith("driver "), args);
    assertTrue(
        args.contains(
            "--class io.crossover.driver.Crossover local:///opt/crossover/crossover.jar"
                + " train -c /etc/crossover/config.json --resume"),
        args);
    // The run's config, mounted where the arguments read it.
    Volume config = volume(driver, "crossover-config");
    assertEquals("crossover-submitted", config.getConfigMap().getName());
    assertTrue(
        c.getVolumeMounts().stream()
            .anyMatch(
                m ->
                    m.getName().equals("crossover-config")
                        && m.getMountPath().equals("/etc/crossover")),
        "config mounted at /etc/crossover: " + c.getVolumeMounts());
    // Resources: the driver's memory (4g by default) plus Spark's overhead, and a CPU.
    Quantity memory = c.getResources().getRequests().get("memory");
    assertTrue(
        Quantity.getAmountInBytes(memory).longValue() >= 4L << 30, "driver memory " + memory);
    assertNotNull(c.getResources().getRequests().get("cpu"), "a CPU request");
    // Spark ships the executor pod template to the driver in a config map of its own; it is the
    // GPU template the render wrote.
    Volume template = volume(driver, "pod-template-volume");
    ConfigMap shipped =
        client
            .configMaps()
            .inNamespace(NAMESPACE)
            .withName(template.getConfigMap().getName())
            .get();
    assertNotNull(shipped, "the pod template's config map");
    String shippedTemplate = shipped.getData().values().iterator().next();
    assertEquals(
        Files.readString(dir.resolve("gpu-executor-pod-template.yaml")).strip(),
        shippedTemplate.strip());
    // Spark's own settings for the driver: no dynamic allocation, one GPU per executor, W of them.
    String properties =
        client.configMaps().inNamespace(NAMESPACE).list().getItems().stream()
            .filter(m -> m.getData() != null && m.getData().containsKey("spark.properties"))
            .map(m -> m.getData().get("spark.properties"))
            .findFirst()
            .orElseThrow();
    assertTrue(properties.contains("spark.dynamicAllocation.enabled=false"), properties);
    assertTrue(properties.contains("spark.executor.instances=2"), properties);
    assertTrue(properties.contains("spark.executor.resource.gpu.amount=1"), properties);
  }

  @Test
  void aClientModeDriverHasSparkCreateOneGpuExecutorPodPerRank() throws Exception {
    Path dir =
        render("client", "--gpu", "--set", "cluster.world-size=2", "--set", "run.name=client");
    Path corpus = Files.createDirectories(tmp.resolve("corpus"));
    Files.copy(IngestIT.BROWN, corpus.resolve("brown.jsonl.gz"));
    String dataset = tmp.resolve("datasets/brown").toUri().toString();
    assertEquals(
        0,
        CrossoverCommand.execute(
            "ingest", "--input", corpus.toString(), "--dataset", dataset, "--master", "local[2]"));
    // The settings spark-submit.sh passes, for a driver in this JVM: its executors are pods.
    Map<String, String> conf = submitConf(dir);
    conf.put("spark.driver.host", "127.0.0.1");
    conf.put("spark.driver.bindAddress", "127.0.0.1");
    // No kubelet runs the pods: the launch is refused after this wait, as with too few nodes.
    conf.put("spark.scheduler.maxRegisteredResourcesWaitingTime", "20s");
    StringBuilder sparkConf = new StringBuilder("cluster.spark-conf={");
    conf.forEach((k, v) -> sparkConf.append('"').append(k).append("\"=\"").append(v).append("\","));
    sparkConf.setLength(sparkConf.length() - 1);
    sparkConf.append('}');
    String[] train =
        DistributedTrainIT.concat(
            SparkSubmitIT.trainArgs(dataset, tmp.resolve("runs").toUri().toString(), "client"),
            new String[] {"--set", "cluster.master=" + master(), "--set", sparkConf.toString()});
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      StringWriter err = new StringWriter();
      var cli = CrossoverCommand.commandLine();
      cli.setErr(new PrintWriter(err, true));
      Future<Integer> run = pool.submit(() -> cli.execute(train));
      List<Pod> executors = List.of();
      Boolean dynamic = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!run.isDone() && System.nanoTime() < deadline) {
        // The largest count seen: stopping the context deletes the pods.
        List<Pod> now = executorPods();
        executors = now.size() >= executors.size() ? now : executors;
        Option<SparkContext> active = SparkContext$.MODULE$.getActive();
        if (active.isDefined() && active.get().master().startsWith("k8s://")) {
          dynamic = active.get().executorAllocationManager().isDefined();
        }
        Thread.sleep(500);
      }
      assertEquals(
          CrossoverCommand.EXIT_USAGE,
          run.get(60, TimeUnit.SECONDS),
          "no executor ever registers: the launch is refused");
      assertTrue(
          err.toString().contains("config key 'cluster.world-size': value 2 needs 2 executors")
              && err.toString().contains("executor pods left Pending"),
          err.toString());
      assertEquals(2, executors.size(), () -> "executor pods: " + executorPods());
      assertTrue(
          !Files.exists(tmp.resolve("runs/client")), "a refused launch leaves no run directory");
      assertEquals(Boolean.FALSE, dynamic, "dynamic allocation stays off");
      for (Pod pod : executors) {
        Container c = pod.getSpec().getContainers().get(0);
        assertEquals(IMAGE, c.getImage());
        assertEquals(new Quantity("1"), c.getResources().getLimits().get("nvidia.com/gpu"));
        assertEquals("true", pod.getSpec().getNodeSelector().get("nvidia.com/gpu.present"));
        assertEquals("nvidia.com/gpu", pod.getSpec().getTolerations().get(0).getKey());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** The executor pods Spark's allocator has created (only one test makes any). */
  static List<Pod> executorPods() {
    return client
        .pods()
        .inNamespace(NAMESPACE)
        .withLabel("spark-role", "executor")
        .list()
        .getItems();
  }

  /** The --conf settings of a rendered spark-submit.sh, pod template paths made absolute. */
  static Map<String, String> submitConf(Path dir) throws IOException {
    Map<String, String> conf = new LinkedHashMap<>();
    for (String line : Files.readAllLines(dir.resolve("spark-submit.sh"))) {
      String t = line.strip().replaceAll(" \\\\$", "").replace("'", "");
      if (t.startsWith("--conf ")) {
        String kv = t.substring("--conf ".length());
        String key = kv.substring(0, kv.indexOf('='));
        String value = kv.substring(kv.indexOf('=') + 1);
        conf.put(key, value.endsWith(".yaml") ? dir.resolve(value).toString() : value);
      }
    }
    conf.put("spark.executor.memory", "1g");
    return conf;
  }

  static Volume volume(Pod pod, String name) {
    return pod.getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no volume " + name + ": " + pod.getSpec().getVolumes()));
  }

  /**
   * This JVM's java, its module flags and class path: what a Spark distribution's bin would run.
   */
  static List<String> javaCommand() {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (flag.startsWith("--add-") || flag.startsWith("-XX:")) {
        command.add(flag);
      }
    }
    command.addAll(List.of("-Xmx512m", "-cp", System.getProperty("java.class.path")));
    return command;
  }

  static String quoted(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
