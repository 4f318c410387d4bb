package io.crossover.k8s;

import io.crossover.data.config.MemorySizes;

/**
 * Where and how manifests deploy: what the config tree does not say.
 *
 * @param image the Crossover image (built from k8s/Dockerfile)
 * @param namespace the namespace of the job and its RBAC
 * @param gpu one GPU per executor (and per training task) when true
 * @param scheduler the gang scheduler, {@code yunikorn} or {@code volcano}, so that a barrier stage
 *     never starts with only some of its executors
 * @param schedule cron schedule of the ScheduledSparkApplication (sweeps)
 * @param driverMemory the driver pod's memory
 * @param sparkVersion the image's Spark version
 */
public record Target(
    String image,
    String namespace,
    boolean gpu,
    String scheduler,
    String schedule,
    String driverMemory,
    String sparkVersion) {
  /** The service account the driver runs as (Role and RoleBinding name it). */
  public static final String SERVICE_ACCOUNT = "crossover";

  /** Where the jar lies in the image. */
  public static final String JAR = "local:///opt/crossover/crossover.jar";

  /** Where the ConfigMap with config.json (and sweep.conf) is mounted in the driver. */
  public static final String CONF_DIR = "/etc/crossover";

  public Target {
    KubeSyntax.image("--image", image);
    KubeSyntax.label("--namespace", namespace);
    if (!scheduler.equals("yunikorn") && !scheduler.equals("volcano")) {
      throw new IllegalArgumentException(
          "--scheduler " + scheduler + " is not yunikorn or volcano (gang scheduling is required)");
    }
    KubeSyntax.cron("--schedule", schedule);
    String memoryProblem = MemorySizes.problem(driverMemory);
    if (memoryProblem != null) {
      throw new IllegalArgumentException(
          "--driver-memory \"" + driverMemory + "\" " + memoryProblem + "; write e.g. 4g");
    }
  }
}
