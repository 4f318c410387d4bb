package io.crossover.executor.train;

import ai.djl.ndarray.NDManager;
import io.crossover.data.plan.Noise;
import io.crossover.data.plan.TokenPlan;
import io.crossover.data.read.StepBatch;
import io.crossover.executor.allreduce.GradientSync;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Batch;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.optim.LrSchedule;
import io.crossover.executor.optim.Optimizer;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * A rank's training loop: data -> objective -> forward/backward -> gradient sync -> clip +
 * optimiser -> log -> evaluate/checkpoint. The collaborators come in; the loop only sequences them.
 */
public final class Trainer {
  /**
   * What turns throughput into utilisation.
   *
   * @param flopsPerToken the model's training FLOPs per token
   * @param peakFlops the peak FLOP/s of all ranks together at the training precision; NaN where the
   *     device's peak is not known
   */
  public record Rates(double flopsPerToken, double peakFlops) {}

  /**
   * How the loop runs.
   *
   * @param plan the token plan: steps, tokens per step, the noise seed
   * @param rank this rank (its noise stream)
   * @param schedule the learning rate of each step
   * @param gradClip the global-norm clip (0: none)
   * @param microBatch sequences per forward pass (0: the rank's whole batch at once)
   * @param logEvery steps between metrics lines (and the last step)
   * @param maxNonfiniteSteps consecutive skipped steps tolerated before the run fails
   * @param rates what turns throughput into utilisation
   */
  public record Settings(
      TokenPlan plan,
      int rank,
      LrSchedule schedule,
      double gradClip,
      int microBatch,
      int logEvery,
      int maxNonfiniteSteps,
      Rates rates) {}

  /** Called after every optimiser step: evaluations, checkpoints and early stops hang here. */
  public interface AfterStep {
    /** Returns true to stop training after {@code stepsDone} steps. */
    boolean afterStep(long stepsDone);
  }

  private final Objective objective;
  private final StepPhases phases;
  private final GradientSync sync;
  private final NDManager manager;
  private final Settings settings;
  private long skippedSteps;
  private int consecutiveSkips;

  public Trainer(
      Transformer model,
      Objective objective,
      Optimizer optimizer,
      GradientSync sync,
      NDManager manager,
      Settings settings) {
    this.objective = objective;
    this.phases =
        new StepPhases(model, objective, optimizer, settings.gradClip(), settings.microBatch());
    this.sync = sync;
    this.manager = manager;
    this.settings = settings;
  }

  /**
   * Trains from {@code fromStep} to the end of the plan, or until {@code afterStep} says stop;
   * returns the number of steps done. Metrics lines go to {@code log}.
   */
  public long train(
      Iterator<StepBatch> batches, long fromStep, Consumer<StepMetrics> log, AfterStep afterStep) {
    TokenPlan plan = settings.plan();
    MetricsWindow window = new MetricsWindow(plan, settings.rates(), sync, fromStep);
    for (long step = fromStep; step < plan.steps(); step++) {
      // Data: the plan's sequences for this rank and step.
      StepBatch tokens = batches.next();
      if (tokens.step() != step) {
        throw new IllegalStateException(
            "reader gave step " + tokens.step() + " where " + step + " was due");
      }
      double lr = settings.schedule().at(step);
      StepResult result = trainStep(tokens, lr);
      // Log: every logEvery steps and at the last.
      long stepsDone = step + 1;
      if (stepsDone % settings.logEvery() == 0 || stepsDone == plan.steps()) {
        log.accept(window.close(stepsDone, result, lr, skippedSteps));
      }
      // Evaluate, checkpoint, stop early: the caller's schedule.
      if (afterStep.afterStep(stepsDone)) {
        return stepsDone;
      }
    }
    return plan.steps();
  }

  /** One optimiser step at learning rate {@code lr}. */
  StepResult trainStep(StepBatch tokens, double lr) {
    try (NDManager scratch = manager.newSubManager()) {
      // Objective: corrupts or shifts the tokens with this rank's noise for this step (and the
      // noise every rank shares, e.g. MDM's random length).
      long seed = settings.plan().spec().seed();
      Batch batch =
          objective.prepare(
              tokens.tokens(),
              Noise.of(seed, settings.rank(), tokens.step()),
              Noise.of(seed, -1, tokens.step()));
      // Forward + backward, micro-batch by micro-batch; the last backward hands each finished
      // bucket of gradients to the all-reduce while it goes on below.
      phases.accumulate(scratch, batch, tokens.step(), sync);
      // All-reduce: wait for the buckets; every rank learns whether all may step, and the mean
      // loss.
      GradientSync.Result all = sync.finish();
      if (!all.finite()) {
        return skip(tokens.step(), all.meanLoss());
      }
      // Clip + optimiser step.
      consecutiveSkips = 0;
      float norm =
          Float.isNaN(all.gradNorm())
              ? phases.clipAndUpdate(scratch, lr)
              : phases.clipAndUpdate(scratch, lr, all.gradNorm());
      return new StepResult(all.meanLoss(), norm);
    }
  }

  /** No rank steps: the gradients are dropped, and too many skips in a row end the run. */
  private StepResult skip(long step, float loss) {
    phases.zeroGradients();
    skippedSteps++;
    if (++consecutiveSkips > settings.maxNonfiniteSteps()) {
      throw new IllegalStateException(
          "rank "
              + settings.rank()
              + " step "
              + step
              + ": loss or gradients not finite for "
              + consecutiveSkips
              + " consecutive steps (limit train.max-nonfinite-steps="
              + settings.maxNonfiniteSteps()
              + "); lower optim.lr or raise optim.warmup-steps");
    }
    return new StepResult(loss, Float.NaN);
  }
}
