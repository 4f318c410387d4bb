package io.crossover.driver.cli;

import io.crossover.data.config.Counts;
import io.crossover.driver.bench.LoaderBench;
import java.io.File;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code crossover bench loader}: its options, checked; the benchmark is {@link LoaderBench}. */
@Command(
    name = "loader",
    mixinStandardHelpOptions = true,
    description =
        "Tokens/s delivered by the Arrow batch reader vs raw file reads (local and HDFS).")
public final class LoaderBenchCommand implements Callable<Integer> {
  @Option(
      names = "--tokens",
      defaultValue = "32Mi",
      description = "Dataset size in tokens (default ${DEFAULT-VALUE}).")
  String tokens;

  @Option(
      names = "--seq-len",
      defaultValue = "2048",
      description = "Sequence length (default ${DEFAULT-VALUE}).")
  int seqLen;

  @Option(
      names = "--batch",
      defaultValue = "16",
      description = "Sequences per step (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(
      names = "--repeats",
      defaultValue = "3",
      description = "Runs per figure; the median is shown (default ${DEFAULT-VALUE}).")
  int repeats;

  @Option(names = "--no-hdfs", description = "Skip the MiniDFSCluster measurements.")
  boolean noHdfs;

  @Option(
      names = "--corpus",
      description = "JSONL corpus to build the dataset from (default: the shipped Brown slice).")
  String corpus;

  @Option(
      names = "--json",
      description = "Print one JSON object with every figure as the last line.")
  boolean json;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    long target;
    try {
      target = Counts.parse(tokens);
    } catch (NumberFormatException e) {
      throw usage("--tokens " + tokens + " is not a count; write e.g. 32Mi or 50M");
    }
    if (seqLen < 2 || batch < 1 || repeats < 1) {
      throw usage(
          "--seq-len must be >= 2, --batch and --repeats >= 1 (got "
              + seqLen
              + ", "
              + batch
              + ", "
              + repeats
              + ")");
    }
    if (target < (long) seqLen * batch) {
      throw usage(
          "--tokens "
              + tokens
              + " is less than one step of --batch "
              + batch
              + " x --seq-len "
              + seqLen
              + " tokens; a benchmark needs at least that");
    }
    if (corpus != null && !new File(corpus).isFile()) {
      throw usage(
          "--corpus " + corpus + " is not a file; give a JSONL corpus (.jsonl or .jsonl.gz)");
    }
    return new LoaderBench(target, seqLen, batch, repeats, noHdfs, corpus, json).run();
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
