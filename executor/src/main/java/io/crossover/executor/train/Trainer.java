package io.crossover.executor.train;

import ai.djl.ndarray.NDManager;
import io.crossover.data.plan.TokenPlan;
import io.crossover.data.read.StepBatch;
import io.crossover.executor.objective.Batch;
import io.crossover.executor.objective.Objective;
import io.crossover.executor.optim.LrSchedule;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * The training loop of one rank. Collaborators come in; the loop only sequences them: data ->
 * objective -> forward/backward -> (gradient sync) -> clip + AdamW -> log.
 */
public final class Trainer {
  /** Averages gradients across data-parallel ranks; the identity for one rank. */
  public interface GradientSync {
    /**
     * Replaces this rank's gradients with the average over ranks; returns whether all are finite.
     */
    boolean allReduce(TrainStep step, boolean locallyFinite);
  }

  /** Called after every optimiser step; checkpoints, evaluations and early stops hang here. */
  public interface StepHook {
    /** Returns true to stop training after {@code stepsDone} steps. */
    boolean afterStep(long stepsDone);
  }

  /** One rank needs no synchronisation. */
  public static final GradientSync SINGLE_RANK = (step, finite) -> finite;

  private final TrainStep trainStep;
  private final LrSchedule schedule;
  private final TokenPlan plan;
  private final int rank;
  private final GradientSync sync;
  private final NDManager manager;
  private final Consumer<StepMetrics> sink;
  private final int logEvery;
  private final int maxNonfiniteSteps;
  private long skipped;
  private int consecutiveSkips;

  public Trainer(
      TrainStep trainStep,
      LrSchedule schedule,
      TokenPlan plan,
      int rank,
      GradientSync sync,
      NDManager manager,
      Consumer<StepMetrics> sink,
      int logEvery,
      int maxNonfiniteSteps) {
    this.trainStep = trainStep;
    this.schedule = schedule;
    this.plan = plan;
    this.rank = rank;
    this.sync = sync;
    this.manager = manager;
    this.sink = sink;
    this.logEvery = logEvery;
    this.maxNonfiniteSteps = maxNonfiniteSteps;
  }

  /**
   * Trains from {@code fromStep} to the end of the plan, or until the hook says stop; returns the
   * number of steps done.
   */
  public long train(Iterator<StepBatch> batches, long fromStep, StepHook hook) {
    long start = System.nanoTime();
    long windowStart = start;
    long windowFrom = fromStep;
    for (long step = fromStep; step < plan.steps(); step++) {
      StepBatch batch = batches.next();
      if (batch.step() != step) {
        throw new IllegalStateException(
            "reader gave step " + batch.step() + " where " + step + " was due");
      }
      double lr = schedule.at(step);
      float[] lossAndNorm = trainStep(batch, lr);
      boolean last = step + 1 == plan.steps();
      if ((step + 1) % logEvery == 0 || last) {
        long now = System.nanoTime();
        double window = (now - windowStart) / 1e9;
        double tokensPerS = (step + 1 - windowFrom) * plan.tokensPerStep() / Math.max(window, 1e-9);
        double elapsed = (now - start) / 1e9;
        double eta = (plan.steps() - step - 1) * elapsed / (step + 1 - fromStep);
        long tokensSeen = (step + 1) * plan.tokensPerStep();
        sink.accept(
            new StepMetrics(
                step + 1,
                plan.steps(),
                (double) tokensSeen / plan.spec().uniqueTokens(),
                tokensSeen,
                plan.spec().uniqueTokens(),
                lossAndNorm[0],
                lr,
                lossAndNorm[1],
                tokensPerS,
                elapsed,
                eta,
                skipped));
        windowStart = now;
        windowFrom = step + 1;
      }
      if (hook.afterStep(step + 1)) {
        return step + 1;
      }
    }
    return plan.steps();
  }

  /** One optimiser step; returns {loss, gradient norm}. */
  float[] trainStep(StepBatch batch, double lr) {
    try (NDManager scratch = manager.newSubManager()) {
      // Data: the objective corrupts/shifts the plan's tokens with this rank's noise for this step.
      long seed = plan.spec().seed();
      Objective objective = trainStep.objective();
      Batch prepared =
          objective.prepare(
              batch.tokens(),
              Objective.noise(seed, rank, batch.step()),
              Objective.noise(seed, -1, batch.step()));
      // Forward + backward.
      float loss = trainStep.forwardBackward(scratch, prepared);
      // All-reduce: every rank learns whether all losses were finite, and the average gradient.
      boolean finite = sync.allReduce(trainStep, Float.isFinite(loss));
      if (!finite) {
        return skip(batch.step(), loss);
      }
      // Clip + AdamW step.
      consecutiveSkips = 0;
      float norm = trainStep.clipAndUpdate(scratch, lr);
      return new float[] {loss, norm};
    }
  }

  private float[] skip(long step, float loss) {
    trainStep.zeroGradients();
    skipped++;
    if (++consecutiveSkips > maxNonfiniteSteps) {
      throw new IllegalStateException(
          "rank "
              + rank
              + " step "
              + step
              + ": loss or gradients not finite for "
              + consecutiveSkips
              + " consecutive steps (limit train.max-nonfinite-steps="
              + maxNonfiniteSteps
              + "); lower optim.lr or raise optim.warmup-steps");
    }
    return new float[] {loss, Float.NaN};
  }

  /** Steps skipped so far because the loss or gradients were not finite. */
  public long skippedSteps() {
    return skipped;
  }
}
