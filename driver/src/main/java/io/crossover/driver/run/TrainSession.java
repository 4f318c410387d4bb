package io.crossover.driver.run;

import ai.djl.ndarray.NDManager;
import io.crossover.data.Json;
import io.crossover.data.config.ConfigException;
import io.crossover.data.config.Counts;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.plan.TokenPlan;
import io.crossover.data.read.ArrowTokenReader;
import io.crossover.data.read.ValidationSample;
import io.crossover.data.shard.Dataset;
import io.crossover.data.tokenize.Tokenizer;
import io.crossover.data.tokenize.TokenizerSpec;
import io.crossover.driver.cli.TrainCommand;
import io.crossover.driver.process.Interrupts;
import io.crossover.driver.process.QualifiedPaths;
import io.crossover.driver.spark.DistributedTrain;
import io.crossover.executor.allreduce.BucketedSync;
import io.crossover.executor.allreduce.Collective;
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
import io.crossover.executor.precision.Precision;
import io.crossover.executor.precision.Tf32;
import io.crossover.executor.train.TrainStep;
import io.crossover.executor.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;

/**
 * One training run on one rank, in this process: plan, model, optimiser, reader, evaluations,
 * checkpoints, and the run directory they write to.
 */
public final class TrainSession {
  private final CrossoverConfig config;
  private final RunDir runDir;
  private final Dataset dataset;
  private final TokenPlan plan;
  private final TreeSet<Long> evalSteps;

  private TrainSession(CrossoverConfig config, RunDir runDir, Dataset dataset, TokenPlan plan) {
    this.config = config;
    this.runDir = runDir;
    this.dataset = dataset;
    this.plan = plan;
    this.evalSteps = EvalSchedule.steps(plan, config.eval());
  }

  /**
   * How a run is started: what to do with an existing directory, how to start it again (said when
   * refusing), whether to take a checkpoint without checksums as it is, and the command a user
   * types to go on after an interrupt or a failed checkpoint.
   */
  public record Start(
      RunDir.Existing existing,
      RunDir.Restart restart,
      boolean acceptUnverified,
      String resumeCommand) {}

  /**
   * Runs (or resumes) the run a config describes: in this process for one rank, else on Spark; a
   * multi-rank run uses {@code spark} when given (a sweep's session, shared by its runs and left
   * open) instead of its own. Everything that can refuse is checked before the run directory is
   * written; a run that fails before its first step leaves no directory behind (and a run it was to
   * replace comes back), so that the advice of the refusal can be followed as given.
   */
  public static void run(CrossoverConfig c, Start start, org.apache.spark.sql.SparkSession spark) {
    Configuration hadoop = RunDir.hadoopConf();
    Dataset dataset = Dataset.open(c.data().dataset(), hadoop);
    TokenPlan plan = Plans.plan(c, dataset);
    preflight(c, dataset, hadoop);
    boolean resume = start.existing() == RunDir.Existing.KEEP;
    RunDir runDir =
        RunDir.create(
            c,
            RunIdentity.Hashes.of(c, dataset.manifestSha256(), hadoop),
            hadoop,
            start.existing(),
            resume ? "resuming it" : "training it",
            start.restart());
    java.util.concurrent.atomic.AtomicLong stepsDone = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicBoolean started =
        new java.util.concurrent.atomic.AtomicBoolean();
    Interrupts.onInterrupt(() -> interrupted(runDir, plan, stepsDone.get(), start.resumeCommand()));
    long done;
    try {
      if (resume) {
        runDir.prepareResume(
            System.out::println, start.acceptUnverified(), start.restart().startAgain());
      }
      System.out.print(Plans.render(plan, dataset, c, 2));
      if (dataset.manifest().validation().tokens() < c.budget().seqLen()) {
        // Said once, here: the evaluations then carry no validation loss.
        System.out.println(
            "no validation loss: "
                + dataset.root()
                + " holds "
                + dataset.manifest().validation().tokens()
                + " validation tokens, less than one sequence of "
                + c.budget().seqLen()
                + " (hold some out with data.validation.fraction and ingest again)");
      }
      if (!runDir.exists("plan.json")) {
        runDir.write("plan.json", Json.write(plan.summary(4)));
      }
      java.util.function.LongConsumer progress =
          step -> {
            stepsDone.set(step);
            if (!started.get()) {
              started.set(true);
              runDir.commit();
            }
          };
      done =
          c.cluster().worldSize() == 1
              ? forRank(c, runDir, dataset, plan)
                  .train(resume, hadoop, Collective.SINGLE, List.of(), progress)
              : DistributedTrain.run(c, runDir, plan, spark, progress);
    } catch (RuntimeException e) {
      if (!started.get() && !Interrupts.interrupted()) {
        try {
          runDir.abandon();
        } catch (RuntimeException cleanup) {
          e.addSuppressed(cleanup);
        }
      }
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof RunDir.CheckpointFailure f) {
          throw new io.crossover.data.Failure(
              f.getMessage()
                  + ". Free space (or fix the filesystem), then resume: "
                  + start.resumeCommand(),
              e);
        }
      }
      throw e;
    } finally {
      Interrupts.onInterrupt(null);
    }
    runDir.commit();
    if (done < plan.steps()) {
      System.out.println(
          "stopped after step "
              + done
              + " (train.stop-after-steps); resume: "
              + start.resumeCommand());
      return;
    }
    runDir.write("DONE", "");
    System.out.println("done: " + runDir.path());
  }

  /**
   * What can refuse a run before it trains, checked before its directory is written: the tokenizer
   * is the dataset's, and every task file reads and holds valid items.
   */
  static void preflight(CrossoverConfig c, Dataset dataset, Configuration hadoop) {
    datasetTokenizer(c, dataset, hadoop).close();
    for (String spec : c.eval().tasks()) {
      McTasks.load(spec, c.eval().itemsToLoad(), hadoop);
    }
  }

  /** What Ctrl-C prints: where the run stopped, what a resume starts from, the command. */
  private static String interrupted(
      RunDir runDir, TokenPlan plan, long stepsDone, String resumeCommand) {
    String from =
        runDir
            .latestCheckpoint()
            .map(
                p ->
                    "the last checkpoint is "
                        + p.getName()
                        + " ("
                        + p
                        + "): a resume continues from there, exactly")
            .orElse(
                "there is no checkpoint yet (train.checkpoint-every sets how often): a resume starts"
                    + " from step 0");
    return String.format(
        Locale.ROOT,
        "crossover: interrupted %s after step %d of %d (epoch %.2f); %s.%nResume: %s",
        runDir.path(),
        stepsDone,
        plan.steps(),
        (double) stepsDone * plan.tokensPerStep() / plan.spec().uniqueTokens(),
        from,
        resumeCommand);
  }

  /** The session of one rank (on an executor, or in this process). */
  public static TrainSession forRank(CrossoverConfig c, RunDir runDir, Configuration hadoop) {
    Dataset dataset = Dataset.open(c.data().dataset(), hadoop);
    return forRank(c, runDir, dataset, Plans.plan(c, dataset));
  }

  private static TrainSession forRank(
      CrossoverConfig c, RunDir runDir, Dataset dataset, TokenPlan plan) {
    // Before libtorch loads: intra-op threads are fixed at engine start.
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(c.train().threads()));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    return new TrainSession(c, runDir, dataset, plan);
  }

  /**
   * Trains this rank from the latest checkpoint (when resuming) to the end of the plan or an early
   * stop; returns the steps done. Every rank evaluates its share; rank 0 alone logs and
   * checkpoints. {@code gpus}: the GPU addresses Spark assigned to this rank's task.
   */
  public long train(
      boolean resume,
      Configuration hadoop,
      Collective ranks,
      List<String> gpus,
      java.util.function.LongConsumer progress) {
    ai.djl.Device device = Devices.select(config.train().device(), gpus);
    int rank = ranks.rank();
    boolean lead = rank == 0;
    int vocab = dataset.manifest().vocabSize();
    Numerics numerics = Numerics.of(config, device);
    if (device.isGpu()) {
      Tf32.set(config.train().tf32());
    }
    Objective objective = Objective.of(config.objective(), dataset.manifest().specials().mask());
    if (lead) {
      System.out.printf(
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
          numerics.attention().name().toLowerCase(Locale.ROOT),
          config.train().microBatchOf(config.sequencesPerRank()),
          config.sequencesPerRank() / config.train().microBatchOf(config.sequencesPerRank()),
          device.isGpu() ? "; TF32 " + (config.train().tf32() ? "on" : "off") : "");
    }
    try (NDManager manager = NDManager.newBaseManager(device);
        Transformer model =
            new Transformer(config.model(), vocab, config.run().seed(), manager, numerics);
        AdamW adam = new AdamW(config.optim(), model.params(), manager);
        Trainer.GradientSync sync = gradientSync(model, ranks);
        BufferAllocator allocator = new RootAllocator();
        Tokenizer tokenizer = tokenizer(hadoop)) {
      Evaluator evaluator =
          new Evaluator(
              model,
              objective,
              tokenizer,
              ValidationSample.draw(
                  dataset,
                  dataset.manifest().validation(),
                  config.eval().validationSequences(),
                  config.budget().seqLen(),
                  config.eval().validationSeed(),
                  config.reader(),
                  allocator),
              tasks(hadoop),
              config.eval(),
              config.budget().seqLen(),
              config.run().seed(),
              manager,
              ranks);
      if (lead) {
        evaluator.progress(line -> evalProgress(line, ranks.worldSize() > 1));
      }
      // Restore before opening the logs: resuming rewrites them without the lines after the
      // checkpoint.
      long from = resume ? runDir.restore(model, adam, lead) : 0;
      try (TrainCommand.MetricsLog metrics = lead ? new TrainCommand.MetricsLog(runDir) : null;
          java.io.Writer evals = lead ? runDir.appender("evals.jsonl") : null;
          ArrowTokenReader reader =
              new ArrowTokenReader(
                  dataset, plan, rank, from, plan.steps(), config.reader(), allocator)) {
        if (from == 0) {
          evaluate(evaluator, 0, evals);
        }
        Trainer trainer =
            new Trainer(
                new TrainStep(
                    model,
                    objective,
                    adam,
                    config.optim().gradClip(),
                    config.train().microBatchOf(config.sequencesPerRank())),
                new LrSchedule(config.optim(), plan.steps()),
                plan,
                rank,
                sync,
                manager,
                lead ? metrics : m -> {},
                config.train().logEvery(),
                config.train().maxNonfiniteSteps());
        return trainer.train(
            reader,
            from,
            stepsDone -> {
              progress.accept(stepsDone);
              return afterStep(stepsDone, from, lead, model, adam, evaluator, evals);
            });
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot write to " + runDir.path(), e);
      }
    }
  }

  /** Buckets over the ranks' collective; nothing to synchronise for one rank. */
  private Trainer.GradientSync gradientSync(Transformer model, Collective ranks) {
    return ranks.worldSize() == 1
        ? Trainer.singleRank()
        : new BucketedSync(model.params(), model.segments(), ranks, config.cluster().bucketBytes());
  }

  /** Evaluates and checkpoints on their schedules; stops early when asked to. */
  private boolean afterStep(
      long stepsDone,
      long from,
      boolean lead,
      Transformer model,
      AdamW adam,
      Evaluator evaluator,
      java.io.Writer evals) {
    if (evalSteps.contains(stepsDone)) {
      evaluate(evaluator, stepsDone, evals);
    }
    long every = config.train().checkpointEvery();
    long stopAfter = config.train().stopAfterSteps();
    boolean stop = stopAfter > 0 && stepsDone - from >= stopAfter && stepsDone < plan.steps();
    boolean end = stepsDone == plan.steps();
    if (lead && (stop || end || (every > 0 && stepsDone % every == 0))) {
      runDir.checkpoint(stepsDone, stepsDone * plan.tokensPerStep(), config, model, adam);
    }
    return stop;
  }

  /** The run directory's file the driver follows for evaluation progress on a cluster. */
  static final String EVAL_PROGRESS = "eval-progress.txt";

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
  private void evaluate(Evaluator evaluator, long step, java.io.Writer out) {
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
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot append to evals.jsonl", e);
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
