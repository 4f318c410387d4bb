package io.crossover.driver.cli;

import io.crossover.data.config.CrossoverConfig;
import io.crossover.driver.sweep.Sweep;
import io.crossover.driver.sweep.SweepSpec;
import io.crossover.k8s.Manifests;
import io.crossover.k8s.Target;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code crossover k8s render}: Kubernetes manifests for a run or a sweep, from the config tree.
 */
@Command(
    name = "k8s",
    mixinStandardHelpOptions = true,
    description = "Kubernetes deployment.",
    subcommands = {K8sCommand.Render.class})
public final class K8sCommand {
  /** Writes the manifests of one run (-c/--set) or one sweep (--sweep). */
  @Command(
      name = "render",
      mixinStandardHelpOptions = true,
      description = {
        "Write the manifests of a training run (from -c/--set) or of a sweep (--sweep FILE, run on",
        "--schedule): RBAC, a ConfigMap with the resolved config, a Spark Operator",
        "SparkApplication or ScheduledSparkApplication, a GPU executor pod template and the",
        "equivalent spark-submit script. Apply with kubectl apply -f DIR."
      })
  static final class Render implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Spec CommandSpec spec;

    @Option(names = "--sweep", description = "A sweep file, or a name in conf/sweeps/.")
    String sweep;

    @Option(names = "--image", required = true, description = "The Crossover image.")
    String image;

    @Option(names = "--namespace", defaultValue = "crossover", description = "Default: crossover.")
    String namespace;

    @Option(names = "--gpu", description = "One GPU per executor (nvidia.com/gpu).")
    boolean gpu;

    @Option(
        names = "--scheduler",
        defaultValue = "yunikorn",
        description = "Gang scheduler: yunikorn or volcano (default ${DEFAULT-VALUE}).")
    String scheduler;

    @Option(
        names = "--schedule",
        description = "Cron schedule of a sweep (default \"" + DEFAULT_SCHEDULE + "\").")
    String schedule;

    /** Saturdays at 02:00. */
    static final String DEFAULT_SCHEDULE = "0 2 * * 6";

    @Option(names = "--driver-memory", defaultValue = "4g", description = "Default: 4g.")
    String driverMemory;

    @Option(
        names = "--spark-version",
        defaultValue = "4.2.0",
        description = "Spark of the image (default: 4.2.0, the version Crossover is built with).")
    String sparkVersion;

    @Option(names = "--out", description = "Directory to write (default k8s/rendered/NAME).")
    Path out;

    @Override
    public Integer call() {
      if (schedule != null && sweep == null) {
        throw new ParameterException(
            spec.commandLine(),
            "--schedule applies to a sweep: give --sweep FILE too (a single run is rendered as a"
                + " SparkApplication, which has no schedule)");
      }
      if (out != null && Files.exists(out) && !Files.isDirectory(out)) {
        throw new ParameterException(
            spec.commandLine(), "--out " + out + " is a file; give a directory to write into");
      }
      Target target;
      try {
        target =
            new Target(
                image,
                namespace,
                gpu,
                scheduler,
                schedule != null ? schedule : DEFAULT_SCHEDULE,
                driverMemory,
                sparkVersion);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage(), e);
      }
      Map<String, String> files;
      String name;
      if (sweep == null) {
        CrossoverConfig c = config.load();
        name = kubeName(c.run().name());
        files = new Manifests(c, target, name).forRun();
      } else {
        SweepSpec spec = SweepSpec.load(sweep);
        // The cluster shape (ranks, threads, memory) of the sweep's runs.
        CrossoverConfig c = Sweep.expand(spec, config.overrides).get(0).config();
        name = kubeName("sweep-" + spec.name());
        files = new Manifests(c, target, name).forSweep(SweepSpec.text(sweep));
      }
      Path dir = out != null ? out : Path.of("k8s", "rendered", name);
      try {
        Files.createDirectories(dir);
        for (Map.Entry<String, String> f : files.entrySet()) {
          Files.writeString(dir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + dir + ": " + e.getMessage(), e);
      }
      System.out.println("wrote " + new ArrayList<>(files.keySet()) + " to " + dir);
      System.out.println(
          "apply: kubectl apply -n " + namespace + " -f " + dir + " (needs the Spark Operator)");
      return 0;
    }

    /** A run name made fit for Kubernetes object names. */
    static String kubeName(String name) {
      String k = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-");
      k = k.replaceAll("^-+|-+$", "");
      return k.length() > 40 ? k.substring(0, 40).replaceAll("-+$", "") : k;
    }
  }
}
