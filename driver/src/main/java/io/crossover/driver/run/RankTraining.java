package io.crossover.driver.run;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.crossover.data.Json;
import io.crossover.data.config.ConfigException;
import io.crossover.data.config.Counts;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.TrainConfig;
import io.crossover.data.plan.TokenPlan;
import io.crossover.data.read.ArrowTokenReader;
import io.crossover.data.read.ValidationSample;
import io.crossover.data.shard.Dataset;
import io.crossover.data.tokenize.Tokenizer;
import io.crossover.data.tokenize.TokenizerSpec;
import io.crossover.driver.capacity.Gpus;
import io.crossover.driver.process.NvidiaSmi;
import io.crossover.driver.process.QualifiedPaths;
import io.crossover.executor.allreduce.BucketedSync;
import io.crossover.executor.allreduce.Collective;
import io.crossover.executor.allreduce.GradientSync;
import io.crossover.executor.allreduce.ShardedAdamW;
import io.crossover.executor.device.Devices;
import io.crossover.executor.eval.EvalRecord;
import io.crossover.executor.eval.EvalSchedule;
import io.crossover.executor.eval.Evaluator;
import io.crossover.executor.eval.McResult;
import io.crossover.executor.eval.McTasks;
import io.crossover.executor.model.ModelSize;
import io.crossover.executor.model.Numerics;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.optim.AdamW;
import io.crossover.executor.optim.LrSchedule;
import io.crossover.executor.optim.Optimizer;
import io.crossover.executor.precision.Precision;
import io.crossover.executor.precision.Tf32;
import io.crossover.executor.train.Trainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.LongConsumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;

/**
 * One rank's training, in this process (on an executor, or alone on the driver): it builds the
 * rank's collaborators (model, optimiser, gradient sync, reader, evaluator) and runs the {@link
 * Trainer}'s loop, evaluating and checkpointing on their schedules in the run directory.
 */
public final class RankTraining {
  private final CrossoverConfig config;
  private final RunDir runDir;
  private final Dataset dataset;
  private final TokenPlan plan;
  private final TreeSet<Long> evalSteps;

  private RankTraining(CrossoverConfig config, RunDir runDir, Dataset dataset, TokenPlan plan) {
    this.config = config;
    this.runDir = runDir;
    this.dataset = dataset;
    this.plan = plan;
    this.evalSteps = EvalSchedule.steps(plan, config.eval());
  }

  /** The training of one rank (on an executor, or in this process). */
  public static RankTraining forRank(CrossoverConfig c, RunDir runDir, Configuration hadoop) {
    Dataset dataset = Dataset.open(c.data().dataset(), hadoop);
    return forRank(c, runDir, dataset, Plans.plan(c, dataset));
  }

  public static RankTraining forRank(
      CrossoverConfig c, RunDir runDir, Dataset dataset, TokenPlan plan) {
    // Before libtorch loads: intra-op threads are fixed at engine start.
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(c.train().threads()));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    return new RankTraining(c, runDir, dataset, plan);
  }

  /**
   * Trains this rank from the latest checkpoint (when resuming) to the end of the plan or an early
   * stop; returns the steps done. Every rank evaluates its share; rank 0 alone logs and
   * checkpoints, but for a sharded optimiser, whose state every rank saves. {@code gpus}: the GPU
   * addresses Spark assigned to this rank's task; {@code progress} hears each step done.
   */
  public long train(
      boolean resume,
      Configuration hadoop,
      Collective ranks,
      List<String> gpus,
      LongConsumer progress) {
    Device device = Devices.select(config.train().device(), gpus);
    boolean lead = ranks.rank() == 0;
    int vocab = dataset.manifest().vocabSize();
    Numerics numerics = Numerics.of(config, device);
    if (device.isGpu()) {
      Tf32.set(config.train().tf32());
    }
    Objective objective = Objective.of(config.objective(), dataset.manifest().specials().mask());
    if (lead) {
      System.out.print(banner(objective, vocab, device, numerics));
    }
    try (NDManager manager = NDManager.newBaseManager(device);
        Transformer model =
            new Transformer(config.model(), vocab, config.run().seed(), manager, numerics);
        GradientSync sync = gradientSync(model, ranks);
        Optimizer optimizer = optimizer(model, sync, ranks, manager);
        BufferAllocator allocator = new RootAllocator();
        Tokenizer tokenizer = tokenizer(hadoop)) {
      Evaluator evaluator =
          evaluator(model, objective, tokenizer, allocator, manager, ranks, hadoop);
      // Restore before opening the logs: resuming rewrites them without the lines after the
      // checkpoint.
      long from = resume ? runDir.restore(model, optimizer, lead) : 0;
      try (MetricsLog metrics = lead ? new MetricsLog(runDir) : null;
          Writer evals = lead ? runDir.appender("evals.jsonl") : null;
          ArrowTokenReader reader =
              new ArrowTokenReader(
                  dataset, plan, ranks.rank(), from, plan.steps(), config.reader(), allocator)) {
        if (from == 0) {
          evaluate(evaluator, 0, evals);
        }
        Trainer trainer =
            new Trainer(
                model,
                objective,
                optimizer,
                sync,
                manager,
                settings(ranks.rank(), objective, vocab, device));
        return trainer.train(
            reader,
            from,
            lead ? metrics : line -> {},
            stepsDone -> {
              progress.accept(stepsDone);
              return afterStep(stepsDone, from, ranks, model, optimizer, evaluator, evals);
            });
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write to " + runDir.path(), e);
      }
    }
  }

  /** What rank 0 prints before the first step: the run's derived numbers and numerics. */
  private String banner(Objective objective, int vocab, Device device, Numerics numerics) {
    int microBatch = config.train().microBatchOf(config.sequencesPerRank());
    return String.format(
        Locale.ROOT,
        "Training %s, model %s: %s parameters, %.3g FLOPs/token; %s steps of %s tokens on %d"
            + " rank(s) on %s; evaluating at %d points%n"
            + "Numerics: train %s, eval %s, %s attention; %s sequence(s) per forward, %d forward(s)"
            + " per step per rank%s%n",
        objective.name(),
        config.model().preset(),
        Counts.grouped(ModelSize.parameters(config.model(), vocab)),
        objective.trainingFlopsPerToken(config.model(), vocab, config.budget().seqLen()),
        Counts.grouped(plan.steps()),
        Counts.grouped(plan.tokensPerStep()),
        config.cluster().worldSize(),
        device,
        evalSteps.size(),
        Precision.resolve(config.train().precision(), device),
        Precision.resolve(config.eval().precision(), device),
        attention(numerics, objective.causal(), device),
        microBatch,
        config.sequencesPerRank() / microBatch,
        device.isGpu() ? "; TF32 " + (config.train().tf32() ? "on" : "off") : "");
  }

  /** The loop's settings, from the config and plan. */
  /** The training pass's attention kernel, and what {@code auto} chose for evaluation. */
  private String attention(Numerics numerics, boolean causal, Device device) {
    int length = config.budget().seqLen();
    String train = numerics.kernel(device.isGpu(), numerics.train(), length, causal).label();
    if (numerics.attention() != TrainConfig.Attention.AUTO) {
      return train;
    }
    String eval = numerics.kernel(device.isGpu(), numerics.eval(), length, causal).label();
    return train.equals(eval) ? train + " (auto)" : train + " (auto; " + eval + " in eval)";
  }

  private Trainer.Settings settings(int rank, Objective objective, int vocab, Device device) {
    return new Trainer.Settings(
        plan,
        rank,
        new LrSchedule(config.optim(), plan.steps()),
        config.optim().gradClip(),
        config.train().microBatchOf(config.sequencesPerRank()),
        config.train().logEvery(),
        config.train().maxNonfiniteSteps(),
        new Trainer.Rates(
            objective.trainingFlopsPerToken(config.model(), vocab, config.budget().seqLen()),
            peakFlops(device) * config.cluster().worldSize()));
  }

  /** This rank's evaluator: its validation sample and the config's tasks. */
  private Evaluator evaluator(
      Transformer model,
      Objective objective,
      Tokenizer tokenizer,
      BufferAllocator allocator,
      NDManager manager,
      Collective ranks,
      Configuration hadoop) {
    ValidationSample validation =
        ValidationSample.draw(
            dataset,
            dataset.manifest().validation(),
            config.eval().validationSequences(),
            config.budget().seqLen(),
            config.eval().validationSeed(),
            config.reader(),
            allocator);
    Evaluator evaluator =
        new Evaluator(
            model,
            objective,
            new Evaluator.Data(validation, tasks(hadoop), tokenizer),
            new Evaluator.Settings(config.eval(), config.budget().seqLen(), config.run().seed()),
            manager,
            ranks);
    if (ranks.rank() == 0) {
      evaluator.progress(line -> evalProgress(line, ranks.worldSize() > 1));
    }
    return evaluator;
  }

  /**
   * The peak FLOP/s of this rank's device at the training precision: a GPU the planner knows by the
   * name nvidia-smi gives (every GPU of the host the same kind); NaN on CPUs and other GPUs.
   */
  private double peakFlops(Device device) {
    Precision precision = Precision.resolve(config.train().precision(), device).precision();
    // The table's FP32 peaks are TF32's: without TF32 the peak is another, unlisted one.
    if (!device.isGpu() || (precision == Precision.FP32 && !config.train().tf32())) {
      return Double.NaN;
    }
    return Gpus.hostPeak(NvidiaSmi.names(), precision);
  }

  /** Buckets over the ranks' collective; nothing to synchronise for one rank. */
  private GradientSync gradientSync(Transformer model, Collective ranks) {
    return ranks.worldSize() == 1
        ? GradientSync.singleRank()
        : new BucketedSync(
            model.params(),
            model.segments(),
            ranks,
            config.cluster().bucketBytes(),
            config.optim().shard());
  }

  /** AdamW, whole on every rank or sharded over them (one rank holds the whole of it anyway). */
  private Optimizer optimizer(
      Transformer model, GradientSync sync, Collective ranks, NDManager manager) {
    return config.optim().shard().sharded() && sync instanceof BucketedSync buckets
        ? new ShardedAdamW(config.optim(), model.params(), buckets, ranks, manager)
        : new AdamW(config.optim(), model.params(), manager);
  }

  /** Evaluates and checkpoints on their schedules; stops early when asked to. */
  private boolean afterStep(
      long stepsDone,
      long from,
      Collective ranks,
      Transformer model,
      Optimizer adam,
      Evaluator evaluator,
      Writer evals) {
    if (evalSteps.contains(stepsDone)) {
      evaluate(evaluator, stepsDone, evals);
    }
    long every = config.train().checkpointEvery();
    long stopAfter = config.train().stopAfterSteps();
    boolean stop = stopAfter > 0 && stepsDone - from >= stopAfter && stepsDone < plan.steps();
    boolean end = stepsDone == plan.steps();
    if (stop || end || (every > 0 && stepsDone % every == 0)) {
      // A sharded optimiser's state is saved by every rank; the rest by rank 0 alone.
      if (adam.sharded()) {
        runDir.checkpointShard(stepsDone, adam, ranks);
      }
      if (ranks.rank() == 0) {
        runDir.checkpoint(stepsDone, stepsDone * plan.tokensPerStep(), config, model, adam);
      }
    }
    return stop;
  }

  /** The run directory's file the driver follows for evaluation progress on a cluster. */
  public static final String EVAL_PROGRESS = "eval-progress.txt";

  /**
   * Prints an evaluation's progress; on a cluster rank 0's console is an executor log, so the line
   * also goes to the run directory, where the driver's tail picks it up.
   */
  private void evalProgress(String line, boolean distributed) {
    System.out.println(line);
    if (distributed) {
      runDir.write(EVAL_PROGRESS, line + "\n");
    }
  }

  /** Every rank evaluates its share; rank 0 (the one with a writer) prints and records. */
  private void evaluate(Evaluator evaluator, long step, Writer out) {
    EvalRecord r =
        evaluator.evaluate(
            step, step * plan.tokensPerStep(), plan.spec().uniqueTokens(), step == plan.steps());
    if (out == null) {
      return;
    }
    StringBuilder line =
        new StringBuilder(
            String.format(Locale.ROOT, "eval step %d | epoch %.2f", r.step(), r.epoch()));
    if (!Double.isNaN(r.valLoss())) {
      line.append(String.format(Locale.ROOT, " | val %s %.4f", r.valLossKind(), r.valLoss()));
    }
    for (Map.Entry<String, McResult> t : r.tasks().entrySet()) {
      McResult m = t.getValue();
      line.append(
          String.format(
              Locale.ROOT,
              " | %s acc %.3f acc_norm %.3f acc_mi %.3f dNLL/byte %.4f",
              t.getKey(),
              m.acc(),
              m.accNorm(),
              m.accMi(),
              m.deltaNllPerByte()));
    }
    System.out.println(line.append(String.format(Locale.ROOT, " | %.1f s", r.seconds())));
    try {
      out.write(Json.snakeLine(r));
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to evals.jsonl", e);
    }
  }

  /** The tokenizer of the config, which must be the one the dataset was made with. */
  private Tokenizer tokenizer(Configuration hadoop) {
    return datasetTokenizer(config, dataset, hadoop);
  }

  /** Opens the config's tokenizer, refusing one that is not the dataset's. */
  public static Tokenizer datasetTokenizer(
      CrossoverConfig config, Dataset dataset, Configuration hadoop) {
    Tokenizer t = TokenizerSpec.resolve(config.data().tokenizer(), hadoop).open();
    if (!t.id().equals(dataset.manifest().tokenizer())) {
      String id = t.id();
      t.close();
      throw new ConfigException(
          "data.tokenizer",
          "is "
              + id
              + " but the dataset was tokenised with "
              + dataset.manifest().tokenizer()
              + "; use the same tokenizer (task text is tokenised with it)");
    }
    return t;
  }

  /** The config's tasks; their paths were made absolute on the driver ({@link QualifiedPaths}). */
  private List<McTasks.Task> tasks(Configuration hadoop) {
    List<McTasks.Task> out = new ArrayList<>();
    for (String spec : config.eval().tasks()) {
      out.add(McTasks.load(spec, config.eval().itemsToLoad(), hadoop));
    }
    return out;
  }
}
