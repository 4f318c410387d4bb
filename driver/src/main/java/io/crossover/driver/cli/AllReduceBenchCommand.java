package io.crossover.driver.cli;

import io.crossover.driver.bench.AllReduceBench;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code crossover bench allreduce}: its options, checked; the benchmark is {@link AllReduceBench}.
 */
@Command(
    name = "allreduce",
    mixinStandardHelpOptions = true,
    description =
        "Ring all-reduce, reduce-scatter and all-gather bus bandwidth between processes vs raw"
            + " loopback TCP and the ring's exchange without reduction.")
public final class AllReduceBenchCommand implements Callable<Integer> {
  @Option(
      names = "--ranks",
      defaultValue = "2",
      description = "Processes in the ring (default ${DEFAULT-VALUE}).")
  int ranks;

  @Option(
      names = "--mb",
      split = ",",
      defaultValue = "1,16,64",
      description = "Buffer sizes in MB (default ${DEFAULT-VALUE}).")
  List<Integer> sizes;

  @Option(
      names = "--repeats",
      defaultValue = "5",
      description = "Collectives of each kind per size (default ${DEFAULT-VALUE}).")
  int repeats;

  @Option(
      names = "--json",
      description = "Print one JSON object with every figure as the last line.")
  boolean json;

  @Option(
      names = "--allgather-mb",
      defaultValue = "1",
      description =
          "Buffer of the allGather baseline in MB, on Spark local[ranks] (0 skips; default"
              + " ${DEFAULT-VALUE}).")
  int allGatherMb;

  @Override
  public Integer call() throws Exception {
    return new AllReduceBench(ranks, sizes, repeats, json, allGatherMb).run();
  }
}
