package io.crossover.driver.cli;

import io.crossover.data.UserException;
import io.crossover.data.config.ConfigException;
import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.ObjectiveConfig;
import io.crossover.data.config.TrainConfig;
import io.crossover.driver.bench.StepBench;
import io.crossover.executor.precision.Precision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code crossover bench step}: its options, checked; the benchmark is {@link StepBench}. */
@Command(
    name = "step",
    mixinStandardHelpOptions = true,
    description = "Forward+backward+AdamW throughput and MFU vs a square matmul, AR and MDM.")
public final class StepBenchCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--preset", description = "Model shape (model.preset).")
  String preset;

  @Option(
      names = "--objective",
      defaultValue = "both",
      description =
          "ar, mdm, both (default), or arms separated by commas, e.g. ar,ar+mask0.15,mdm.")
  String objective;

  @Option(
      names = "--seq-len",
      defaultValue = "256",
      description = "Tokens per sequence (default ${DEFAULT-VALUE}).")
  int seqLen;

  @Option(
      names = "--batch",
      defaultValue = "16",
      description = "Sequences per step (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(
      names = "--steps",
      defaultValue = "10",
      description = "Timed steps per objective (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(
      names = "--precision",
      defaultValue = "fp32,bf16",
      split = ",",
      description = "Training precisions to compare, interleaved (default ${DEFAULT-VALUE}).")
  List<Precision> precisions;

  @Option(
      names = "--attention",
      split = ",",
      description =
          "fused, materialized, auto, or several separated by commas (default: train.attention);"
              + " the table names the kernel each ran.")
  List<TrainConfig.Attention> attentions;

  @Option(
      names = "--micro-batch",
      defaultValue = "0",
      description = "Sequences per forward pass (default 0: the whole batch).")
  int microBatch;

  @Option(
      names = "--rounds",
      defaultValue = "3",
      description = "Interleaved rounds of --steps per setting (default ${DEFAULT-VALUE}).")
  int rounds;

  @Option(
      names = "--matmul",
      defaultValue = "1024",
      description = "Side of the square matmul baseline (default ${DEFAULT-VALUE}).")
  int matmul;

  @Option(
      names = "--json",
      description = "Print one JSON object with every figure as the last line.")
  boolean json;

  @Option(
      names = "--profile",
      description =
          "Profile one more step of each setting with libtorch's profiler: self time by kind of op"
              + " (products, attention, casts, elementwise, loss, optimizer) and the top ops.")
  boolean profile;

  @Option(
      names = "--trace-dir",
      paramLabel = "DIR",
      description =
          "Keep the profiled steps' Chrome traces here (open in Perfetto); implies --profile.")
  Path traceDir;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (batch < 1 || steps < 1 || seqLen < 2 || matmul < 1 || rounds < 1 || microBatch < 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--batch, --steps, --rounds and --matmul must be >= 1, --micro-batch >= 0 and --seq-len"
              + " >= 2 (got --batch "
              + batch
              + ", --steps "
              + steps
              + ", --rounds "
              + rounds
              + ", --seq-len "
              + seqLen
              + ", --matmul "
              + matmul
              + ", --micro-batch "
              + microBatch
              + ")");
    }
    Inputs.microBatch(microBatch, batch, "--micro-batch", "--batch");
    // "both": one arm of each objective type, named as the config writes it.
    List<String> names =
        objective.equals("both")
            ? Arrays.stream(ObjectiveConfig.Type.values())
                .map(t -> t.name().toLowerCase(Locale.ROOT))
                .toList()
            : List.of(objective.split(","));
    Map<String, ObjectiveConfig> arms = new LinkedHashMap<>();
    for (String name : names) {
      try {
        arms.put(name, ConfigLoader.load(null, List.of("objective.type=" + name)).objective());
      } catch (ConfigException e) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "--objective "
                + name
                + " is not an objective: ar, mdm, an AR arm such as ar+mask0.15, or both");
      }
    }
    CrossoverConfig c =
        config.load(new ConfigOptions.Sugar().put("--preset", "model.preset", preset));
    if (traceDir == null && !profile) {
      return bench(c, arms, null);
    }
    Path traces = traceDir;
    try {
      if (traces == null) {
        traces = Files.createTempDirectory("crossover-profile");
      } else {
        Files.createDirectories(traces);
      }
      return bench(c, arms, traces);
    } catch (IOException e) {
      throw new UserException(
          (traceDir != null ? "--trace-dir " + traceDir : "--profile: a temporary directory")
              + ": cannot create it ("
              + (e instanceof NoSuchFileException ? "no such directory: " : "")
              + e.getMessage()
              + ")");
    } finally {
      if (traceDir == null && traces != null) {
        deleteTraces(traces);
      }
    }
  }

  /** Removes the temporary trace directory; what cannot be removed stays in the temp dir. */
  private static void deleteTraces(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // Left for the OS's temp-dir cleaning: the profile was already printed.
    }
  }

  private int bench(CrossoverConfig c, Map<String, ObjectiveConfig> arms, Path traces) {
    return new StepBench(
            c,
            arms,
            seqLen,
            batch,
            steps,
            precisions,
            attentions,
            microBatch,
            rounds,
            matmul,
            json,
            traces)
        .run();
  }
}
