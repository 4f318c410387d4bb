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
  /**
   * Averages gradients across data-parallel ranks, in step with the backward pass: {@link #begin}
   * once the step's loss is known, {@link #segmentDone} as backward finishes each segment (top
   * first), then {@link #finish}.
   */
  public interface GradientSync extends AutoCloseable {
    /** Whether the last micro-batch's backward should run segment by segment. */
    boolean bySegments();

    /** This rank's loss for {@code step}, before the last micro-batch's backward. */
    void begin(long step, float loss);

    /** The gradients of segment {@code segment} and every segment above it are final. */
    void segmentDone(int segment);

    /** Leaves the average gradient over ranks; returns what all ranks agree on. */
    Result finish();

    /**
     * The ranks' verdict for a step.
     *
     * @param finite every rank's loss and the averaged gradients are finite: all may step
     * @param meanLoss the loss averaged over ranks
     * @param gradNorm the global norm of the averaged gradients, computed in an order that does not
     *     depend on how the ranks share them (so every shard mode clips alike); NaN when the sync
     *     leaves the gradients on the device for the trainer to measure
     */
    record Result(boolean finite, float meanLoss, float gradNorm) {
      /** A verdict that leaves the norm to the trainer. */
      public Result(boolean finite, float meanLoss) {
        this(finite, meanLoss, Float.NaN);
      }
    }

    /**
     * Nanoseconds this rank has spent in collectives so far, on any thread: hidden behind backward
     * or not.
     */
    default long commNanos() {
      return 0;
    }

    /** Of which the training thread waited for, outside backward (the exposed part). */
    default long waitNanos() {
      return 0;
    }

    /** Stops any communication thread. */
    @Override
    default void close() {}
  }

  /** One rank needs no synchronisation: its loss is the verdict. */
  public static GradientSync singleRank() {
    return new GradientSync() {
      private float loss;

      @Override
      public boolean bySegments() {
        return false;
      }

      @Override
      public void begin(long step, float loss) {
        this.loss = loss;
      }

      @Override
      public void segmentDone(int segment) {}

      @Override
      public Result finish() {
        return new Result(Float.isFinite(loss), loss);
      }
    };
  }

  /**
   * What turns throughput into utilisation.
   *
   * @param flopsPerToken the model's training FLOPs per token
   * @param peakFlops the peak FLOP/s of all ranks together at the training precision; NaN where the
   *     device's peak is not known
   */
  public record Rates(double flopsPerToken, double peakFlops) {}

  /** Called after every optimiser step; checkpoints, evaluations and early stops hang here. */
  public interface StepHook {
    /** Returns true to stop training after {@code stepsDone} steps. */
    boolean afterStep(long stepsDone);
  }

  private final TrainStep trainStep;
  private final LrSchedule schedule;
  private final TokenPlan plan;
  private final int rank;
  private final GradientSync sync;
  private final NDManager manager;
  private final Consumer<StepMetrics> sink;
  private final int logEvery;
  private final int maxNonfiniteSteps;
  private final Rates rates;
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
      int maxNonfiniteSteps,
      Rates rates) {
    this.trainStep = trainStep;
    this.schedule = schedule;
    this.plan = plan;
    this.rank = rank;
    this.sync = sync;
    this.manager = manager;
    this.sink = sink;
    this.logEvery = logEvery;
    this.maxNonfiniteSteps = maxNonfiniteSteps;
    this.rates = rates;
  }

  /**
   * Trains from {@code fromStep} to the end of the plan, or until the hook says stop; returns the
   * number of steps done.
   */
  public long train(Iterator<StepBatch> batches, long fromStep, StepHook hook) {
    long start = System.nanoTime();
    long windowStart = start;
    long windowFrom = fromStep;
    long commFrom = sync.commNanos();
    long waitFrom = sync.waitNanos();
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
        long steps = step + 1 - windowFrom;
        double flopsPerS = tokensPerS * rates.flopsPerToken();
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
                skipped,
                (sync.commNanos() - commFrom) / 1e9 / steps,
                (sync.waitNanos() - waitFrom) / 1e9 / steps,
                flopsPerS,
                flopsPerS / rates.peakFlops()));
        windowStart = now;
        windowFrom = step + 1;
        commFrom = sync.commNanos();
        waitFrom = sync.waitNanos();
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
      // Forward + backward, micro-batch by micro-batch; the last backward hands each finished
      // bucket of gradients to the all-reduce while it goes on below.
      trainStep.accumulate(scratch, prepared, batch.step(), sync);
      // All-reduce: wait for the buckets; every rank learns whether all may step, and the mean
      // loss.
      GradientSync.Result all = sync.finish();
      if (!all.finite()) {
        return skip(batch.step(), all.meanLoss());
      }
      // Clip + AdamW step.
      consecutiveSkips = 0;
      float norm =
          Float.isNaN(all.gradNorm())
              ? trainStep.clipAndUpdate(scratch, lr)
              : trainStep.clipAndUpdate(scratch, lr, all.gradNorm());
      return new float[] {all.meanLoss(), norm};
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
