package io.crossover.data.config;

import java.io.Serializable;

/**
 * AdamW, gradient clipping and the learning-rate schedule.
 *
 * @param lr peak learning rate
 * @param minLr the schedule's floor
 * @param warmupSteps linear warmup from 0 to {@code lr}
 * @param schedule {@code wsd} (warmup, stable, short decay) or {@code cosine}
 * @param decayFraction WSD: share of the steps spent decaying to {@code minLr}
 * @param beta1 AdamW first-moment decay
 * @param beta2 AdamW second-moment decay
 * @param eps AdamW epsilon
 * @param weightDecay decoupled weight decay on matrices
 * @param decayEmbeddings also decay the embedding (and an untied output head)
 * @param gradClip maximum global gradient norm; 0 turns clipping off
 * @param shard how the data-parallel ranks share the optimiser: {@code none} (each holds all of
 *     it), {@code optimizer} (ZeRO-1: each holds the AdamW moments of its shard of the parameters
 *     and updates only that shard) or {@code gradients} (ZeRO-2: also only its shard's gradients
 *     once they are reduced). Bitwise the same training in every mode.
 */
public record OptimConfig(
    double lr,
    double minLr,
    long warmupSteps,
    Schedule schedule,
    double decayFraction,
    double beta1,
    double beta2,
    double eps,
    double weightDecay,
    boolean decayEmbeddings,
    double gradClip,
    Shard shard)
    implements Serializable {

  /** Learning-rate schedules. */
  public enum Schedule {
    WSD,
    COSINE
  }

  /** What each data-parallel rank keeps of the optimiser's state (ZeRO stages 0, 1 and 2). */
  public enum Shard {
    NONE,
    OPTIMIZER,
    GRADIENTS;

    /** Whether each rank updates only its own shard of the parameters. */
    public boolean sharded() {
      return this != NONE;
    }
  }

  static OptimConfig from(Keys k) {
    double lr = k.fraction("optim.lr", 0, 10);
    double minLr = k.fraction("optim.min-lr", 0, 10);
    if (minLr > lr) {
      throw new ConfigException(
          "optim.min-lr", "value " + minLr + " is above optim.lr=" + lr + "; it is the floor");
    }
    return new OptimConfig(
        lr,
        minLr,
        k.count("optim.warmup-steps", 0, Long.MAX_VALUE / 4),
        k.choice("optim.schedule", Schedule.class),
        k.fraction("optim.decay-fraction", 0, 1),
        k.fraction("optim.beta1", 0, 0.999999),
        k.fraction("optim.beta2", 0, 0.999999),
        k.fraction("optim.eps", 0, 1),
        k.fraction("optim.weight-decay", 0, 10),
        k.bool("optim.decay-embeddings"),
        k.fraction("optim.grad-clip", 0, 1e6),
        k.choice("optim.shard", Shard.class));
  }
}
