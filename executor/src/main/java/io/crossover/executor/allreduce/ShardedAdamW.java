package io.crossover.executor.allreduce;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.crossover.data.config.OptimConfig;
import io.crossover.executor.model.Param;
import io.crossover.executor.optim.AdamW;
import io.crossover.executor.optim.Optimizer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW sharded over the data-parallel ranks (ZeRO-1, and ZeRO-2 with a {@link BucketedSync} in
 * {@code gradients} mode): this rank holds the two moments only for the elements of the flat
 * parameter vector it owns (1/W of them), steps those from the reduce-scattered gradients with
 * AdamW's own arithmetic ({@link AdamW#delta}), and the ranks all-gather the updates. Every
 * operation is element-wise and the weight decay is applied to whole parameters on every rank, so
 * the parameters are bitwise those of an unsharded step.
 */
public final class ShardedAdamW implements Optimizer {
  private final OptimConfig config;
  private final List<Param> params;
  private final BucketedSync sync;
  private final int rank;
  private final int worldSize;
  private final NDManager manager;
  private final NDArray m;
  private final NDArray v;
  private long step;

  /**
   * @param sync the sharded gradient sync whose shard this optimiser steps
   */
  public ShardedAdamW(
      OptimConfig config,
      List<Param> params,
      BucketedSync sync,
      Collective ranks,
      NDManager parent) {
    this(config, params, sync, ranks, parent, CHUNK);
  }

  /** With AdamW stepping {@code chunk} elements of the shard at a time. */
  ShardedAdamW(
      OptimConfig config,
      List<Param> params,
      BucketedSync sync,
      Collective ranks,
      NDManager parent,
      int chunk) {
    this.chunk = chunk;
    this.config = config;
    this.params = params;
    this.sync = sync;
    this.rank = ranks.rank();
    this.worldSize = ranks.worldSize();
    this.manager = parent.newSubManager();
    this.m = manager.zeros(new Shape(sync.ownedLength()));
    this.v = manager.zeros(new Shape(sync.ownedLength()));
  }

  /** The checkpoint file of rank {@code rank}'s shard of a {@code worldSize}-rank run. */
  public static String file(int rank, int worldSize) {
    return "optimizer-" + rank + "-of-" + worldSize + ".safetensors";
  }

  @Override
  public long step() {
    return step;
  }

  @Override
  public void restoreStep(long step) {
    this.step = step;
  }

  /**
   * Elements stepped at a time: AdamW's temporaries stay the size of a typical parameter (cache
   * sized and allocator friendly) instead of several copies of the whole shard.
   */
  static final int CHUNK = 1 << 18;

  private final int chunk;

  @Override
  public void update(double lr, float clipScale, NDManager scratch) {
    JniUtils.setGradMode(false);
    step++;
    // The shard's gradients are replaced, chunk by chunk, by what AdamW subtracts.
    float[] shard = sync.ownedGradients();
    for (int from = 0; from < shard.length; from += chunk) {
      int n = Math.min(chunk, shard.length - from);
      try (NDManager tmp = scratch.newSubManager()) {
        NDArray g = tmp.create(FloatBuffer.wrap(shard, from, n), new Shape(n));
        if (clipScale != 1f) {
          g.muli(clipScale);
        }
        NDIndex range = new NDIndex("{}:{}", from, from + n);
        NDArray mPart = m.get(range);
        NDArray vPart = v.get(range);
        mPart.attach(tmp);
        vPart.attach(tmp);
        AdamW.delta(config, step, mPart, vPart, g, lr, tmp)
            .toByteBuffer()
            .order(ByteOrder.nativeOrder())
            .asFloatBuffer()
            .get(shard, from, n);
      }
    }
    // Decay before subtracting, as the unsharded step does: every rank decays whole parameters.
    if (config.weightDecay() > 0) {
      float factor = AdamW.decayFactor(config, lr);
      for (Param p : params) {
        if (AdamW.decays(config, p)) {
          p.array().muli(factor);
        }
      }
    }
    sync.allGatherDeltas(shard);
  }

  @Override
  public Map<String, NDArray> state() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    out.put("m", m);
    out.put("v", v);
    return out;
  }

  @Override
  public String stateFile() {
    return file(rank, worldSize);
  }

  @Override
  public boolean sharded() {
    return true;
  }

  @Override
  public void close() {
    manager.close();
  }
}
