package io.crossover.driver.train;

import io.crossover.data.Failure;
import io.crossover.data.Json;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.plan.TokenPlan;
import io.crossover.data.shard.Dataset;
import io.crossover.driver.process.Interrupts;
import io.crossover.driver.process.Invocation;
import io.crossover.driver.run.Plans;
import io.crossover.driver.run.RankTraining;
import io.crossover.driver.run.RunDir;
import io.crossover.driver.run.RunIdentity;
import io.crossover.driver.run.RunLease;
import io.crossover.driver.spark.DistributedTrain;
import io.crossover.executor.allreduce.Collective;
import io.crossover.executor.eval.McTasks;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * One run from start to end, on the driver: every check that can refuse it, its directory, then one
 * rank in this process or a barrier stage of ranks on Spark; what an interrupt prints.
 */
public final class RunLauncher {
  private RunLauncher() {}

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
  public static void run(CrossoverConfig c, Start start, SparkSession spark) {
    Configuration hadoop = RunDir.hadoopConf();
    // First of all: a second writer is refused before it reads, moves or writes anything.
    try (RunLease lease = lease(c, hadoop)) {
      run(c, start, spark, hadoop, lease);
    }
  }

  /** The run directory's lease, for this invocation; refused while another command holds it. */
  private static RunLease lease(CrossoverConfig c, Configuration hadoop) {
    return RunLease.take(
        new Path(c.run().root(), c.run().name()).toString(),
        hadoop,
        Invocation.commandLineWith(List.of()),
        System.out::println);
  }

  private static void run(
      CrossoverConfig c, Start start, SparkSession spark, Configuration hadoop, RunLease lease) {
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
    AtomicLong stepsDone = new AtomicLong();
    AtomicBoolean started = new AtomicBoolean();
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
      // Fenced from here, where training writes: should this process lose its lease, its writes
      // are refused, never interleaved (a refusal before this point leaves the run as it was).
      runDir.fence(new RunDir.Fence(lease.generation(), RunDir.Fence.COMMAND), true);
      LongConsumer progress =
          step -> {
            if (c.cluster().worldSize() == 1) {
              // On Spark the fence stops the ranks of a process that lost its lease.
              lease.check();
            }
            stepsDone.set(step);
            if (!started.get()) {
              started.set(true);
              runDir.commit();
            }
          };
      done =
          c.cluster().worldSize() == 1
              ? RankTraining.forRank(c, runDir, dataset, plan)
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
          throw new Failure(
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
    RankTraining.datasetTokenizer(c, dataset, hadoop).close();
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

  /**
   * Plans and prints the plan; unless {@code dryRun}, makes the run directory with config.json,
   * identity.json and plan.json. An existing run directory is refused before any work: a plan never
   * changes a run.
   */
  public static TokenPlan planAndSave(
      CrossoverConfig config, Configuration hadoop, int show, boolean dryRun) {
    Dataset dataset = Dataset.open(config.data().dataset(), hadoop);
    RunIdentity.Hashes hashes =
        dryRun ? null : RunIdentity.Hashes.of(config, dataset.manifestSha256(), hadoop);
    if (!dryRun) {
      RunDir.refuseExistingForPlan(config, hadoop);
    }
    TokenPlan plan = Plans.plan(config, dataset);
    if (!dryRun) {
      // A task that would refuse training later refuses the plan now: a run directory records
      // only what can train.
      preflight(config, dataset, hadoop);
    }
    System.out.print(Plans.render(plan, dataset, config, show));
    if (!dryRun) {
      try (RunLease lease = lease(config, hadoop)) {
        RunDir.refuseExistingForPlan(config, hadoop);
        RunDir run =
            RunDir.create(
                config, hashes, hadoop, RunDir.Existing.KEEP, "planning it", RunDir.Restart.TRAIN);
        System.out.println("wrote " + run.write("plan.json", Json.write(plan.summary(show))));
      }
    }
    return plan;
  }
}
