package io.crossover.k8s;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Kubernetes manifests for a run or a sweep, rendered from the same config tree the job reads, so
 * that nobody edits YAML by hand: RBAC for the driver, a ConfigMap with the resolved config, a
 * Kubeflow Spark Operator {@code SparkApplication} (one training run) or {@code
 * ScheduledSparkApplication} (a sweep on a cron schedule), a GPU executor pod template, and the
 * equivalent plain {@code spark-submit --master k8s://...} script.
 */
public final class Manifests {
  /** The Spark Operator's API version. */
  public static final String OPERATOR_API = "sparkoperator.k8s.io/v1beta2";

  private static final ObjectMapper YAML =
      new ObjectMapper(
          new YAMLFactory()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
              .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS));

  private final CrossoverConfig config;
  private final Target target;
  private final String name;

  /** Manifests for {@code config}; {@code name} labels every object ({@code crossover-<name>}). */
  public Manifests(CrossoverConfig config, Target target, String name) {
    if (!name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || name.length() > 40) {
      throw new IllegalArgumentException(
          "\""
              + name
              + "\" cannot name Kubernetes objects: lower-case letters, digits and '-', at most 40");
    }
    this.config = config;
    this.target = target;
    this.name = name;
  }

  /** The files to write: file name -> content. */
  public Map<String, String> forRun() {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("rbac.yaml", yaml(rbac()));
    files.put("configmap.yaml", yaml(List.of(configMap(null))));
    files.put("spark-application.yaml", yaml(List.of(sparkApplication(trainArguments()))));
    files.put("gpu-executor-pod-template.yaml", yaml(List.of(gpuPodTemplate())));
    files.put("driver-pod-template.yaml", yaml(List.of(driverPodTemplate())));
    files.put("spark-submit.sh", sparkSubmit(trainArguments()));
    return files;
  }

  /** The files for a sweep run on {@link Target#schedule()}: the sweep file travels as is. */
  public Map<String, String> forSweep(String sweepFileText) {
    Map<String, String> files = new LinkedHashMap<>();
    List<String> args = List.of("sweep", Target.CONF_DIR + "/sweep.conf");
    files.put("rbac.yaml", yaml(rbac()));
    files.put("configmap.yaml", yaml(List.of(configMap(sweepFileText))));
    files.put("scheduled-sweep.yaml", yaml(List.of(scheduled(args))));
    files.put("gpu-executor-pod-template.yaml", yaml(List.of(gpuPodTemplate())));
    files.put("driver-pod-template.yaml", yaml(List.of(driverPodTemplate())));
    files.put("spark-submit.sh", sparkSubmit(args));
    return files;
  }

  List<String> trainArguments() {
    // --resume: a retried driver (restartPolicy OnFailure) continues from the last checkpoint.
    return List.of("train", "-c", Target.CONF_DIR + "/config.json", "--resume");
  }

  List<Map<String, Object>> rbac() {
    Map<String, Object> account = object("v1", "ServiceAccount", Target.SERVICE_ACCOUNT);
    Map<String, Object> role =
        object("rbac.authorization.k8s.io/v1", "Role", Target.SERVICE_ACCOUNT);
    // What Spark's driver does: start, watch and remove its executor pods, their headless
    // service, its config maps, and (on shutdown) the PVCs it may own. Nothing cluster-wide.
    role.put(
        "rules",
        List.of(
            rule("pods", "create", "get", "list", "watch", "delete", "deletecollection", "patch"),
            rule("services", "create", "get", "delete", "deletecollection"),
            rule("configmaps", "create", "get", "list", "delete", "deletecollection"),
            rule("persistentvolumeclaims", "create", "get", "list", "delete", "deletecollection")));
    Map<String, Object> binding =
        object("rbac.authorization.k8s.io/v1", "RoleBinding", Target.SERVICE_ACCOUNT);
    binding.put(
        "subjects",
        List.of(
            map(
                "kind",
                "ServiceAccount",
                "name",
                Target.SERVICE_ACCOUNT,
                "namespace",
                target.namespace())));
    binding.put(
        "roleRef",
        map(
            "apiGroup", "rbac.authorization.k8s.io",
            "kind", "Role",
            "name", Target.SERVICE_ACCOUNT));
    return List.of(account, role, binding);
  }

  Map<String, Object> configMap(String sweep) {
    Map<String, Object> m = object("v1", "ConfigMap", "crossover-" + name);
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("config.json", ConfigLoader.toJson(config));
    if (sweep != null) {
      data.put("sweep.conf", sweep);
    }
    m.put("data", data);
    return m;
  }

  Map<String, Object> sparkApplication(List<String> args) {
    Map<String, Object> app = object(OPERATOR_API, "SparkApplication", "crossover-" + name);
    app.put("spec", spec(args));
    return app;
  }

  Map<String, Object> scheduled(List<String> args) {
    Map<String, Object> app =
        object(OPERATOR_API, "ScheduledSparkApplication", "crossover-" + name);
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("schedule", target.schedule());
    // A sweep resumes where the last one stopped; two at once would race on the same runs.
    spec.put("concurrencyPolicy", "Forbid");
    spec.put("successfulRunHistoryLimit", 3);
    spec.put("failedRunHistoryLimit", 5);
    spec.put("template", spec(args));
    app.put("spec", spec);
    return app;
  }

  private Map<String, Object> spec(List<String> args) {
    int w = config.cluster().worldSize();
    int cores = config.train().threads();
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("type", "Java");
    spec.put("mode", "cluster");
    spec.put("image", target.image());
    spec.put("imagePullPolicy", "IfNotPresent");
    spec.put("mainClass", "io.crossover.driver.Crossover");
    spec.put("mainApplicationFile", Target.JAR);
    spec.put("arguments", args);
    spec.put("sparkVersion", target.sparkVersion());
    spec.put(
        "restartPolicy",
        map(
            "type", "OnFailure",
            "onFailureRetries", 3,
            "onFailureRetryInterval", 60,
            "onSubmissionFailureRetries", 3,
            "onSubmissionFailureRetryInterval", 60));
    // Gang scheduling: all W executors or none, or a barrier stage would wait forever.
    spec.put("batchScheduler", target.scheduler());
    if (target.scheduler().equals("volcano")) {
      spec.put("batchSchedulerOptions", map("queue", "default"));
    }
    spec.put("sparkConf", sparkConf());
    spec.put(
        "volumes",
        List.of(map("name", "crossover-config", "configMap", map("name", "crossover-" + name))));
    Map<String, Object> driver = new LinkedHashMap<>();
    driver.put("cores", 1);
    driver.put("memory", target.driverMemory());
    driver.put("serviceAccount", Target.SERVICE_ACCOUNT);
    driver.put("labels", labels("driver"));
    driver.put(
        "volumeMounts", List.of(map("name", "crossover-config", "mountPath", Target.CONF_DIR)));
    spec.put("driver", driver);
    Map<String, Object> executor = new LinkedHashMap<>();
    executor.put("instances", w);
    executor.put("cores", cores);
    executor.put("memory", config.cluster().executorMemory());
    executor.put("labels", labels("executor"));
    executor.put("javaOptions", "-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=" + cores);
    if (target.gpu()) {
      executor.put("gpu", map("name", "nvidia.com/gpu", "quantity", 1));
      executor.put("nodeSelector", gpuNodeSelector());
      executor.put("tolerations", List.of(gpuToleration()));
    }
    spec.put("executor", executor);
    return spec;
  }

  /** The Spark settings a barrier training job needs, then the config's own. */
  Map<String, String> sparkConf() {
    int cores = config.train().threads();
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("spark.dynamicAllocation.enabled", "false");
    conf.put("spark.executor.cores", Integer.toString(cores));
    // One training task per executor JVM (libtorch keeps one gradient state per JVM).
    conf.put("spark.task.cpus", Integer.toString(cores));
    conf.put("spark.barrier.sync.timeout", config.cluster().barrierTimeoutSeconds() + "s");
    conf.put(
        "spark.kubernetes.allocation.batch.size", Integer.toString(config.cluster().worldSize()));
    conf.put("spark.executorEnv.DJL_OFFLINE", "true");
    conf.put("spark.executorEnv.MKL_CBWR", "AUTO,STRICT");
    if (target.gpu()) {
      conf.put("spark.executor.resource.gpu.amount", "1");
      conf.put("spark.task.resource.gpu.amount", "1");
      conf.put("spark.executor.resource.gpu.vendor", "nvidia.com");
      conf.put(
          "spark.executor.resource.gpu.discoveryScript",
          "/opt/spark/examples/src/main/scripts/getGpusResources.sh");
    }
    conf.putAll(config.cluster().sparkConf());
    return conf;
  }

  @SuppressWarnings("unchecked")
  Map<String, Object> gpuPodTemplate() {
    Map<String, Object> pod = object("v1", "Pod", "crossover-gpu-executor");
    ((Map<String, Object>) pod.get("metadata")).put("labels", labels("executor"));
    Map<String, Object> gpu = map("nvidia.com/gpu", 1);
    pod.put(
        "spec",
        map(
            "nodeSelector", gpuNodeSelector(),
            "tolerations", List.of(gpuToleration()),
            "containers",
                List.of(
                    map(
                        "name",
                        "spark-kubernetes-executor",
                        "resources",
                        map("requests", gpu, "limits", gpu)))));
    return pod;
  }

  /**
   * The driver pod of plain spark-submit: the run's ConfigMap mounted at {@link Target#CONF_DIR}.
   * Spark's own volume settings ({@code spark.kubernetes.driver.volumes.*}) have no ConfigMap type.
   */
  @SuppressWarnings("unchecked")
  Map<String, Object> driverPodTemplate() {
    Map<String, Object> pod = object("v1", "Pod", "crossover-driver");
    ((Map<String, Object>) pod.get("metadata")).put("labels", labels("driver"));
    pod.put(
        "spec",
        map(
            "volumes",
            List.of(map("name", "crossover-config", "configMap", map("name", "crossover-" + name))),
            "containers",
            List.of(
                map(
                    "name",
                    "spark-kubernetes-driver",
                    "volumeMounts",
                    List.of(map("name", "crossover-config", "mountPath", Target.CONF_DIR))))));
    return pod;
  }

  /** The same job with plain spark-submit against the Kubernetes API server. */
  String sparkSubmit(List<String> args) {
    StringBuilder s = new StringBuilder();
    s.append("#!/usr/bin/env bash\n");
    s.append(
        "# The same job without the Spark Operator. Run it from this directory (it reads the\n");
    s.append("# pod templates beside it) after creating the ConfigMap:\n");
    s.append("#   kubectl apply -n ").append(target.namespace());
    s.append(" -f rbac.yaml -f configmap.yaml\n");
    s.append("# Gang scheduling needs the scheduler's own settings (see the README).\n");
    s.append("set -euo pipefail\n");
    s.append("spark-submit \\\n");
    s.append("  --master \"k8s://${K8S_API_SERVER:?set K8S_API_SERVER=https://host:port}\" \\\n");
    s.append("  --deploy-mode cluster \\\n");
    s.append("  --name crossover-").append(name).append(" \\\n");
    s.append("  --class io.crossover.driver.Crossover \\\n");
    // The SparkApplication's driver memory; without it spark-submit gives the driver pod 1g.
    s.append("  --driver-memory ").append(target.driverMemory()).append(" \\\n");
    s.append("  --conf spark.kubernetes.namespace=").append(target.namespace()).append(" \\\n");
    s.append("  --conf spark.kubernetes.container.image=").append(target.image()).append(" \\\n");
    s.append("  --conf spark.kubernetes.authenticate.driver.serviceAccountName=")
        .append(Target.SERVICE_ACCOUNT)
        .append(" \\\n");
    s.append("  --conf spark.kubernetes.driver.podTemplateFile=driver-pod-template.yaml \\\n");
    s.append("  --conf spark.executor.instances=").append(config.cluster().worldSize());
    s.append(" \\\n");
    s.append("  --conf spark.executor.memory=").append(config.cluster().executorMemory());
    s.append(" \\\n");
    s.append("  --conf spark.executor.extraJavaOptions='-Dai.djl.offline=true")
        .append(" -Dai.djl.pytorch.num_threads=")
        .append(config.train().threads())
        .append("' \\\n");
    if (target.gpu()) {
      s.append("  --conf spark.kubernetes.executor.podTemplateFile=gpu-executor-pod-template.yaml");
      s.append(" \\\n");
    }
    for (Map.Entry<String, String> e : sparkConf().entrySet()) {
      s.append("  --conf '").append(e.getKey()).append('=').append(e.getValue()).append("' \\\n");
    }
    s.append("  ").append(Target.JAR);
    for (String a : args) {
      s.append(' ').append(a);
    }
    return s.append('\n').toString();
  }

  private Map<String, Object> object(String apiVersion, String kind, String objectName) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("apiVersion", apiVersion);
    m.put("kind", kind);
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("name", objectName);
    meta.put("namespace", target.namespace());
    meta.put("labels", labels(null));
    m.put("metadata", meta);
    return m;
  }

  private Map<String, Object> labels(String role) {
    Map<String, Object> l = new LinkedHashMap<>();
    l.put("app.kubernetes.io/name", "crossover");
    l.put("app.kubernetes.io/instance", name);
    if (role != null) {
      l.put("crossover/role", role);
    }
    return l;
  }

  private static Map<String, Object> gpuNodeSelector() {
    return map("nvidia.com/gpu.present", "true");
  }

  private static Map<String, Object> gpuToleration() {
    return map("key", "nvidia.com/gpu", "operator", "Exists", "effect", "NoSchedule");
  }

  private static Map<String, Object> rule(String resource, String... verbs) {
    return map("apiGroups", List.of(""), "resources", List.of(resource), "verbs", List.of(verbs));
  }

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private static String yaml(List<Map<String, Object>> documents) {
    List<String> out = new ArrayList<>();
    for (Map<String, Object> d : documents) {
      try {
        out.add(YAML.writeValueAsString(d));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return String.join("---\n", out);
  }
}
