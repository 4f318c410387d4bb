package io.crossover.driver.cli;

import io.crossover.driver.bench.AllReduceBench;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
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

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    // A buffer is one float[]: 1..511 MB keeps its length an int with room to spare.
    if (ranks < 2
        || ranks > 64
        || repeats < 1
        || allGatherMb < 0
        || allGatherMb > 511
        || sizes.stream().anyMatch(mb -> mb < 1 || mb > 511)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--ranks must be 2..64, --repeats >= 1, each --mb 1..511 and --allgather-mb 0..511 (got"
              + " --ranks "
              + ranks
              + ", --repeats "
              + repeats
              + ", --mb "
              + sizes.stream().map(String::valueOf).collect(Collectors.joining(","))
              + ", --allgather-mb "
              + allGatherMb
              + ")");
    }
    return new AllReduceBench(ranks, sizes, repeats, json, allGatherMb).run();
  }
}
