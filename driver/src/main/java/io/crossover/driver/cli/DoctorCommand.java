package io.crossover.driver.cli;

import io.crossover.data.config.CrossoverConfig;
import io.crossover.driver.process.Environment;
import io.crossover.driver.spark.ExecutorEnvironments;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code crossover doctor}: what a training process sees — versions, the PyTorch natives on the
 * class path and the ones loaded, devices, threads, the environment — here and, with {@code
 * --executors}, on each Spark executor.
 */
@Command(
    name = "doctor",
    header = "Print what this JVM and the executors see: versions, natives, GPUs, device.",
    mixinStandardHelpOptions = true,
    description = {
      "Print what this JVM (and with --executors, every executor) sees: Java, Spark, Hadoop,",
      "Arrow, DJL, the PyTorch natives found and loaded, GPUs, threads and the device",
      "train.device resolves to."
    })
public final class DoctorCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(
      names = "--executors",
      description = "Also ask each executor, through a Spark job of cluster.world-size tasks.")
  boolean executors;

  @Override
  public Integer call() {
    CrossoverConfig c = config.load();
    System.out.println("== this JVM (driver)");
    System.out.print(Environment.format(Environment.report(c.train().device(), List.of())));
    if (executors) {
      List<String> seen = ExecutorEnvironments.ask(c.cluster(), c.train().device());
      for (int i = 0; i < seen.size(); i++) {
        System.out.println("== task " + i);
        System.out.print(seen.get(i));
      }
    }
    return 0;
  }
}
