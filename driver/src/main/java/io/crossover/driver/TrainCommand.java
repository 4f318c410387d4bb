package io.crossover.driver;

import ai.djl.ndarray.NDManager;
import io.crossover.data.Json;
import io.crossover.data.config.Counts;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.plan.TokenPlan;
import io.crossover.data.read.ArrowTokenReader;
import io.crossover.data.shard.Dataset;
import io.crossover.executor.model.ModelSize;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.optim.AdamW;
import io.crossover.executor.optim.LrSchedule;
import io.crossover.executor.train.StepMetrics;
import io.crossover.executor.train.TrainStep;
import io.crossover.executor.train.Trainer;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code crossover train}: one run, on one rank in this process. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Train one model (AR or MDM) on a fixed token budget, on one rank in this process.",
      "Writes config.json, plan.json, metrics.jsonl and DONE into run.root/run.name."
    })
final class TrainCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--objective", description = "ar or mdm (objective.type).")
  String objective;

  @Option(names = "--preset", description = "Model shape (model.preset).")
  String preset;

  @Option(names = "--dataset", description = "Dataset directory (data.dataset).")
  String dataset;

  @Option(names = "--unique-tokens", paramLabel = "U", description = "budget.unique-tokens")
  String unique;

  @Option(names = "--total-tokens", paramLabel = "T", description = "budget.total-tokens")
  String total;

  @Option(names = "--seq-len", paramLabel = "L", description = "budget.seq-len")
  String seqLen;

  @Option(names = "--global-batch", paramLabel = "B", description = "budget.global-batch")
  String globalBatch;

  @Option(names = "--lr", description = "Peak learning rate (optim.lr).")
  String lr;

  @Option(names = "--run", paramLabel = "NAME", description = "Run name (run.name).")
  String run;

  @Option(names = "--overwrite", description = "Replace an existing run directory's results.")
  boolean overwrite;

  @Option(
      names = "--resume",
      description = "Continue the run from its latest checkpoint (from the start if it has none).")
  boolean resume;

  @Override
  public Integer call() {
    CrossoverConfig c =
        config.load(
            new ConfigOptions.Sugar()
                .put("objective.type", objective)
                .put("model.preset", preset)
                .put("data.dataset", dataset)
                .put("budget.unique-tokens", unique)
                .put("budget.total-tokens", total)
                .put("budget.seq-len", seqLen)
                .put("budget.global-batch", globalBatch)
                .put("optim.lr", lr)
                .put("run.name", run)
                .pairs());
    if (resume && overwrite) {
      throw new IllegalArgumentException("run.name: --resume and --overwrite exclude each other");
    }
    train(c, overwrite, resume);
    return 0;
  }

  static void train(CrossoverConfig c, boolean overwrite, boolean resume) {
    if (c.cluster().worldSize() != 1) {
      throw new io.crossover.data.config.ConfigException(
          "cluster.world-size",
          "value "
              + c.cluster().worldSize()
              + ": this trainer runs one rank in-process; set"
              + " --set cluster.world-size=1 (data-parallel training runs on the Spark launcher)");
    }
    // Before libtorch loads: intra-op threads are fixed at engine start.
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(c.train().threads()));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    Configuration hadoop = new Configuration();
    Dataset dataset = Dataset.open(c.data().dataset(), hadoop);
    RunDir runDir =
        RunDir.create(
            c,
            hadoop,
            overwrite
                ? RunDir.Existing.REPLACE
                : resume ? RunDir.Existing.KEEP : RunDir.Existing.REFUSE);
    TokenPlan plan = Plans.plan(c, dataset);
    System.out.print(Plans.render(plan, dataset, c, 2));
    runDir.write("plan.json", Json.write(plan.summary(4)));

    int vocab = dataset.manifest().vocabSize();
    Objective objective = Objective.of(c.objective(), dataset.manifest().specials().mask());
    System.out.printf(
        Locale.ROOT,
        "Training %s, model %s: %s parameters, %.3g FLOPs/token; %s steps of %s tokens%n",
        objective.name(),
        c.model().preset(),
        Counts.grouped(ModelSize.parameters(c.model(), vocab)),
        ModelSize.trainingFlopsPerToken(c.model(), vocab, c.budget().seqLen()),
        Counts.grouped(plan.steps()),
        Counts.grouped(plan.tokensPerStep()));
    try (NDManager manager = NDManager.newBaseManager();
        Transformer model = new Transformer(c.model(), vocab, c.run().seed(), manager);
        AdamW adam = new AdamW(c.optim(), model.params(), manager);
        BufferAllocator allocator = new RootAllocator()) {
      // Restore before opening metrics.jsonl: resuming rewrites it without the lines after the
      // checkpoint.
      long from = resume ? runDir.restore(model, adam) : 0;
      MetricsLog metrics = new MetricsLog(runDir);
      Trainer trainer =
          new Trainer(
              new TrainStep(model, objective, adam, c.optim().gradClip()),
              new LrSchedule(c.optim(), plan.steps()),
              plan,
              0,
              Trainer.SINGLE_RANK,
              manager,
              metrics,
              c.train().logEvery(),
              c.train().maxNonFiniteSteps());
      long done;
      try (metrics;
          ArrowTokenReader reader =
              new ArrowTokenReader(dataset, plan, 0, from, plan.steps(), c.reader(), allocator)) {
        done =
            trainer.train(
                reader,
                from,
                stepsDone -> afterStep(c, plan, runDir, model, adam, from, stepsDone));
      }
      if (done < plan.steps()) {
        System.out.println(
            "stopped after step " + done + " (train.stop-after-steps); resume with --resume");
        return;
      }
    }
    runDir.write("DONE", "");
    System.out.println("done: " + runDir.path());
  }

  /** Checkpoints on the configured cadence, at the end, and when stopping early. */
  private static boolean afterStep(
      CrossoverConfig c,
      TokenPlan plan,
      RunDir runDir,
      Transformer model,
      AdamW adam,
      long from,
      long stepsDone) {
    long every = c.train().checkpointEvery();
    long stopAfter = c.train().stopAfterSteps();
    boolean stop = stopAfter > 0 && stepsDone - from >= stopAfter && stepsDone < plan.steps();
    boolean end = stepsDone == plan.steps();
    if (stop || end || (every > 0 && stepsDone % every == 0)) {
      runDir.checkpoint(stepsDone, stepsDone * plan.tokensPerStep(), c, model, adam);
    }
    return stop;
  }

  /** metrics.jsonl (appended as the run goes) and the progress line. */
  static final class MetricsLog implements java.util.function.Consumer<StepMetrics>, AutoCloseable {
    private final java.io.Writer out;

    MetricsLog(RunDir run) {
      this.out = run.appender("metrics.jsonl");
    }

    @Override
    public void accept(StepMetrics m) {
      System.out.printf(
          Locale.ROOT,
          "step %d/%d | epoch %.2f | tokens %s | loss %.4f | lr %.2e | grad %.3f | %s tok/s | eta %s%n",
          m.step(),
          m.steps(),
          m.epoch(),
          Counts.grouped(m.tokensSeen()),
          m.loss(),
          m.lr(),
          m.gradNorm(),
          Counts.grouped(Math.round(m.tokensPerS())),
          duration(m.etaS()));
      try {
        out.write(Json.snakeLine(m));
        out.write('\n');
        out.flush();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot append to metrics.jsonl", e);
      }
    }

    private static String duration(double seconds) {
      long s = Math.round(seconds);
      return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    @Override
    public void close() {
      try {
        out.close();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot close metrics.jsonl", e);
      }
    }
  }
}
