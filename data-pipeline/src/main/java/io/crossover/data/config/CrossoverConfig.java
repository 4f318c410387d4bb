package io.crossover.data.config;

import java.io.Serializable;

/**
 * The whole configuration of a Crossover job: one immutable tree, parsed and validated once on the
 * driver ({@link ConfigLoader}), saved as JSON with every run and shipped to executors as is.
 *
 * @param data where the corpus comes from, how it is tokenised and sharded
 * @param budget the token budget: unique tokens, total tokens, sequence length, global batch
 * @param cluster where Spark runs and how many data-parallel ranks train
 * @param reader how ranks read their token batches
 * @param run seeds and the run directory root
 * @param model the transformer's shape
 * @param objective AR or masked diffusion
 * @param optim AdamW and the learning-rate schedule
 * @param train how the training loop runs and reports
 * @param eval when and what to evaluate during training
 */
public record CrossoverConfig(
    DataConfig data,
    BudgetConfig budget,
    ClusterConfig cluster,
    ReaderConfig reader,
    RunConfig run,
    ModelConfig model,
    ObjectiveConfig objective,
    OptimConfig optim,
    TrainConfig train,
    EvalConfig eval)
    implements Serializable {

  static CrossoverConfig from(Keys k) {
    CrossoverConfig c =
        new CrossoverConfig(
            DataConfig.from(k),
            BudgetConfig.from(k),
            ClusterConfig.from(k),
            ReaderConfig.from(k),
            RunConfig.from(k),
            ModelConfig.from(k),
            ObjectiveConfig.from(k),
            OptimConfig.from(k),
            TrainConfig.from(k),
            EvalConfig.from(k));
    c.checkMicroBatch();
    c.checkRecompute();
    return c;
  }

  /** Sequences per rank per step; 0 when the global batch does not divide (the plan says so). */
  public int sequencesPerRank() {
    int w = cluster.worldSize();
    return budget.globalBatch() % w == 0 ? budget.globalBatch() / w : 0;
  }

  private void checkMicroBatch() {
    int perRank = sequencesPerRank();
    String problem = TrainConfig.microBatchProblem(train.microBatch(), perRank);
    if (problem != null) {
      throw new ConfigException(
          "train.micro-batch",
          problem
              + " (budget.global-batch="
              + budget.globalBatch()
              + " / cluster.world-size="
              + cluster.worldSize()
              + "); use a divisor of "
              + perRank
              + ", or 0 for all of them in one pass");
    }
  }

  private void checkRecompute() {
    if (train.recompute() == TrainConfig.Recompute.BLOCKS && objective.arDropout() > 0) {
      throw new ConfigException(
          "train.recompute",
          "value blocks runs each block's forward again in backward, which would draw its dropout"
              + " masks again (objective.ar-dropout="
              + objective.arDropout()
              + "); use none with a dropout arm");
    }
  }
}
