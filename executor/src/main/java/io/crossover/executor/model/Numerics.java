package io.crossover.executor.model;

import ai.djl.Device;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.TrainConfig;
import io.crossover.executor.precision.Precision;

/**
 * How a model computes, as opposed to what it is: the attention kernel, the precision of its
 * training and evaluation forward passes (resolved for the device, never {@code auto}), and whether
 * a training forward pass cut into segments keeps only each block's input (recompute).
 */
public record Numerics(
    TrainConfig.Attention attention, Precision train, Precision eval, boolean recompute) {
  /** Without recomputation. */
  public Numerics(TrainConfig.Attention attention, Precision train, Precision eval) {
    this(attention, train, eval, false);
  }

  /** Fused attention, FP32 everywhere. */
  public static final Numerics DEFAULT =
      new Numerics(TrainConfig.Attention.FUSED, Precision.FP32, Precision.FP32);

  /** The settings of {@code config} on {@code device}. */
  public static Numerics of(CrossoverConfig config, Device device) {
    return new Numerics(
        config.train().attention(),
        Precision.resolve(config.train().precision(), device).precision(),
        Precision.resolve(config.eval().precision(), device).precision(),
        config.train().recompute() == TrainConfig.Recompute.BLOCKS);
  }
}
