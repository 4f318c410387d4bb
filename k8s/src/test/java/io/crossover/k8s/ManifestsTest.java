package io.crossover.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rendered manifests read back with the Kubernetes model classes (fabric8), and checked against
 * the config and target they came from.
 */
class ManifestsTest {
  static final KubernetesSerialization K8S = new KubernetesSerialization();
  static final CrossoverConfig CONFIG =
      ConfigLoader.load(
          null,
          List.of(
              "cluster.world-size=8",
              "cluster.executor-memory=24g",
              "train.threads=6",
              "cluster.spark-conf={\"spark.eventLog.enabled\"=\"true\"}",
              "run.name=mdm-u1b"));
  static final Target GPU =
      new Target(
          "registry.example.com/crossover:0.1.0",
          "ml",
          true,
          "yunikorn",
          "0 2 * * 6",
          "8g",
          "4.1.3");

  static List<String> docs(String yaml) {
    return List.of(yaml.split("(?m)^---$"));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    return (Map<String, Object>) o;
  }

  @Test
  void aTrainingRunDeploysAsASparkApplicationWithLeastRights() {
    Map<String, String> files = new Manifests(CONFIG, GPU, "mdm-u1b").forRun();
    assertEquals(
        List.of(
            "rbac.yaml",
            "configmap.yaml",
            "spark-application.yaml",
            "gpu-executor-pod-template.yaml",
            "driver-pod-template.yaml",
            "spark-submit.sh"),
        List.copyOf(files.keySet()));

    List<String> rbac = docs(files.get("rbac.yaml"));
    ServiceAccount account = K8S.unmarshal(rbac.get(0), ServiceAccount.class);
    assertEquals("crossover", account.getMetadata().getName());
    assertEquals("ml", account.getMetadata().getNamespace());
    Role role = K8S.unmarshal(rbac.get(1), Role.class);
    for (PolicyRule rule : role.getRules()) {
      assertFalse(rule.getVerbs().contains("*"), "no wildcard verbs");
      assertFalse(rule.getResources().contains("*"), "no wildcard resources");
      assertEquals(List.of(""), rule.getApiGroups(), "core API group only");
    }
    assertTrue(
        role.getRules().stream()
            .anyMatch(
                r -> r.getResources().equals(List.of("pods")) && r.getVerbs().contains("create")));
    RoleBinding binding = K8S.unmarshal(rbac.get(2), RoleBinding.class);
    assertEquals("Role", binding.getRoleRef().getKind());
    assertEquals("crossover", binding.getSubjects().get(0).getName());
    assertEquals("ml", binding.getSubjects().get(0).getNamespace());

    ConfigMap cm = K8S.unmarshal(files.get("configmap.yaml"), ConfigMap.class);
    assertEquals("crossover-mdm-u1b", cm.getMetadata().getName());
    assertEquals(CONFIG, ConfigLoader.fromJson(cm.getData().get("config.json")));

    GenericKubernetesResource app =
        K8S.unmarshal(files.get("spark-application.yaml"), GenericKubernetesResource.class);
    assertEquals("sparkoperator.k8s.io/v1beta2", app.getApiVersion());
    assertEquals("SparkApplication", app.getKind());
    Map<String, Object> spec = map(app.getAdditionalProperties().get("spec"));
    assertEquals("registry.example.com/crossover:0.1.0", spec.get("image"));
    assertEquals("io.crossover.driver.Crossover", spec.get("mainClass"));
    assertEquals("local:///opt/crossover/crossover.jar", spec.get("mainApplicationFile"));
    assertEquals(
        List.of("train", "-c", "/etc/crossover/config.json", "--resume"), spec.get("arguments"));
    assertEquals("yunikorn", spec.get("batchScheduler"));
    Map<String, Object> executor = map(spec.get("executor"));
    assertEquals(8, executor.get("instances"));
    assertEquals(6, executor.get("cores"));
    assertEquals("24g", executor.get("memory"));
    assertEquals(Map.of("name", "nvidia.com/gpu", "quantity", 1), executor.get("gpu"));
    Map<String, Object> sparkConf = map(spec.get("sparkConf"));
    assertEquals("false", sparkConf.get("spark.dynamicAllocation.enabled"));
    assertEquals("6", sparkConf.get("spark.task.cpus"));
    assertEquals("6", sparkConf.get("spark.executor.cores"));
    assertEquals("1", sparkConf.get("spark.task.resource.gpu.amount"));
    assertEquals("true", sparkConf.get("spark.eventLog.enabled"), "cluster.spark-conf passes");
    Map<String, Object> driver = map(spec.get("driver"));
    assertEquals("crossover", driver.get("serviceAccount"));
    assertEquals("8g", driver.get("memory"));

    Pod template = K8S.unmarshal(files.get("gpu-executor-pod-template.yaml"), Pod.class);
    assertEquals(
        new Quantity("1"),
        template.getSpec().getContainers().get(0).getResources().getLimits().get("nvidia.com/gpu"));
    assertEquals("nvidia.com/gpu", template.getSpec().getTolerations().get(0).getKey());
    assertEquals("true", template.getSpec().getNodeSelector().get("nvidia.com/gpu.present"));

    String submit = files.get("spark-submit.sh");
    assertTrue(submit.contains("--conf spark.executor.instances=8"), submit);
    assertTrue(submit.contains("--driver-memory 8g"), submit);
    assertTrue(submit.contains("podTemplateFile=gpu-executor-pod-template.yaml"), submit);
    // Spark's volume settings have no ConfigMap type: the driver's template mounts the config.
    assertTrue(submit.contains("driver.podTemplateFile=driver-pod-template.yaml"), submit);
    Pod driverTemplate = K8S.unmarshal(files.get("driver-pod-template.yaml"), Pod.class);
    assertEquals(
        "crossover-mdm-u1b", driverTemplate.getSpec().getVolumes().get(0).getConfigMap().getName());
    assertEquals(
        "/etc/crossover",
        driverTemplate.getSpec().getContainers().get(0).getVolumeMounts().get(0).getMountPath());
    assertTrue(submit.endsWith("crossover.jar train -c /etc/crossover/config.json --resume\n"));
  }

  @Test
  void aSweepRunsOnAScheduleOneAtATime() {
    String sweep = "name = \"nightly\"\nbase = \"quickstart\"\naxes { ... }\n";
    Target cpu = new Target("crossover:dev", "ml", false, "volcano", "30 1 * * *", "4g", "4.1.3");
    Map<String, String> files = new Manifests(CONFIG, cpu, "nightly").forSweep(sweep);
    GenericKubernetesResource app =
        K8S.unmarshal(files.get("scheduled-sweep.yaml"), GenericKubernetesResource.class);
    assertEquals("ScheduledSparkApplication", app.getKind());
    Map<String, Object> spec = map(app.getAdditionalProperties().get("spec"));
    assertEquals("30 1 * * *", spec.get("schedule"));
    assertEquals("Forbid", spec.get("concurrencyPolicy"));
    Map<String, Object> template = map(spec.get("template"));
    assertEquals(List.of("sweep", "/etc/crossover/sweep.conf"), template.get("arguments"));
    assertEquals("volcano", template.get("batchScheduler"));
    assertFalse(map(template.get("executor")).containsKey("gpu"), "CPU executors ask no GPU");
    assertFalse(map(template.get("sparkConf")).containsKey("spark.task.resource.gpu.amount"));
    ConfigMap cm = K8S.unmarshal(files.get("configmap.yaml"), ConfigMap.class);
    assertEquals(sweep, cm.getData().get("sweep.conf"));
  }

  @Test
  void badTargetsAreRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new Target("i", "ns", false, "default", "0 2 * * 6", "4g", "4.1.3"));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Target("i", "ns", false, "yunikorn", "nightly", "4g", "4.1.3"));
    // Zero passes the syntax of a JVM memory size but would give the driver pod no memory.
    for (String memory : List.of("0", "0g", "00m", "-4g", "lots")) {
      assertThrows(
          IllegalArgumentException.class,
          () -> new Target("i", "ns", false, "yunikorn", "0 2 * * 6", memory, "4.1.3"),
          memory);
    }
    assertEquals(
        "10m",
        new Target("i", "ns", false, "yunikorn", "0 2 * * 6", "10m", "4.1.3").driverMemory());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new Manifests(CONFIG, GPU, "MDM_u1B"));
    assertTrue(e.getMessage().contains("lower-case"), e.getMessage());
  }
}
