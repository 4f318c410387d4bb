package io.crossover.executor.allreduce;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.crossover.data.config.OptimConfig;
import io.crossover.executor.model.Param;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Data-parallel gradient averaging in buckets ({@link BucketPlan}): as soon as backward has
 * finished the layers of a bucket, its gradients are copied into a host buffer and reduced over the
 * ranks by a communication thread while backward goes on below. Buckets of any size give bitwise
 * the result of one flat reduction, and every rank ends with bitwise the same values.
 *
 * <p>With {@code optim.shard=none} each bucket is summed ({@link Collective#sum}) and the average
 * goes back to the parameters' gradients. Sharded, each bucket is only reduce-scattered: this rank
 * keeps the averaged gradients of the elements it {@link Collective#owned owns}, which {@link
 * ShardedAdamW} steps, and {@link #allGatherDeltas} brings every rank the others' updates. Under
 * {@code gradients} (ZeRO-2) a bucket's host buffer goes back to a pool of two as soon as its owned
 * part is kept, so this rank never holds the whole reduced gradient; and a parameter's gradient on
 * the device is freed ({@link Param#dropGradient}) as soon as its last bucket is copied out during
 * the last micro-step's backward, so where a step is one forward pass backward never holds the
 * whole gradient there either (only {@link ShardedAdamW}, which steps the host's shard, can follow
 * that).
 *
 * <p>Whatever the mode, the ranks agree in one reduction whether all may step, the mean loss and
 * the gradients' global norm ({@link StripeNorm}), bitwise the same in every mode.
 */
public final class BucketedSync implements GradientSync, AutoCloseable {
  private final List<Param> params;
  private final TimedCollective ranks;
  private long waitNanos;
  private final BucketPlan plan;
  private final OptimConfig.Shard shard;
  private final float[][] host;
  private final ExecutorService comm;
  private final List<Future<?>> inFlight = new ArrayList<>();
  private final StripeNorm norm;
  private final int[][] owned;
  private final int[] ownedAt;
  private final float[] ownedGradients;
  private final BufferPool pool;
  private NDManager scratch;
  private NDArray[] flat;
  private NDArray[] whole;
  private long[] unsent;
  private int next;
  private long step;
  private float loss;

  /** Unsharded: every rank ends with the whole averaged gradient. */
  public BucketedSync(
      List<Param> params, List<Integer> segments, Collective ranks, long bucketBytes) {
    this(params, segments, ranks, bucketBytes, OptimConfig.Shard.NONE);
  }

  public BucketedSync(
      List<Param> params,
      List<Integer> segments,
      Collective ranks,
      long bucketBytes,
      OptimConfig.Shard shard) {
    this.params = params;
    this.ranks = new TimedCollective(ranks);
    this.shard = shard;
    this.plan = BucketPlan.of(params.stream().map(Param::size).toList(), segments, bucketBytes);
    this.host = new float[plan.buckets().size()][];
    this.norm = new StripeNorm(plan.parameters() + BucketPlan.TRAILER, ranks.stripe());
    this.owned = new int[plan.buckets().size()][];
    this.ownedAt = new int[plan.buckets().size()];
    int at = 0;
    for (BucketPlan.Bucket b : plan.buckets()) {
      owned[b.index()] = clip(ranks.owned(b.length(), b.globalFrom()), gradientLength(b));
      ownedAt[b.index()] = at;
      for (int i = 0; i < owned[b.index()].length; i += 2) {
        at += owned[b.index()][i + 1] - owned[b.index()][i];
      }
    }
    this.ownedGradients = shard.sharded() ? new float[at] : null;
    this.pool = shard == OptimConfig.Shard.GRADIENTS ? new BufferPool(2) : null;
    this.comm =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "crossover-buckets-" + ranks.rank());
              t.setDaemon(true);
              return t;
            });
  }

  public BucketPlan plan() {
    return plan;
  }

  /** Gradient elements (the bucket without the trailer). */
  private int gradientLength(BucketPlan.Bucket b) {
    return b.hasTrailer(plan) ? b.length() - BucketPlan.TRAILER : b.length();
  }

  /** Ranges cut at {@code limit}. */
  private static int[] clip(int[] ranges, int limit) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < ranges.length; i += 2) {
      int to = Math.min(ranges[i + 1], limit);
      if (to > ranges[i]) {
        out.add(ranges[i]);
        out.add(to);
      }
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Elements of the parameter vector this rank owns (its shard): 0 unsharded. */
  int ownedLength() {
    return ownedGradients == null ? 0 : ownedGradients.length;
  }

  /** This rank's shard of the averaged gradients, in global order (valid after {@link #finish}). */
  float[] ownedGradients() {
    return ownedGradients;
  }

  /** Bytes of host buffers this rank holds for gradients now (its buckets, pool and shard). */
  long hostBytes() {
    long bytes = 4L * ownedLength();
    for (float[] b : host) {
      bytes += b == null ? 0 : 4L * b.length;
    }
    return bytes + (pool == null ? 0 : pool.bytes());
  }

  @Override
  public boolean bySegments() {
    return true;
  }

  @Override
  public void begin(long step, float loss) {
    this.step = step;
    this.loss = loss;
    this.next = 0;
    inFlight.clear();
    closeScratch();
    scratch = params.get(0).array().getManager().newSubManager();
    flat = new NDArray[params.size()];
    whole = new NDArray[params.size()];
    unsent = params.stream().mapToLong(Param::size).toArray();
  }

  @Override
  public void segmentDone(int segment) {
    while (next < plan.buckets().size() && plan.buckets().get(next).readyAfter() >= segment) {
      send(plan.buckets().get(next++));
    }
  }

  /** Copies a bucket's gradients to a host buffer and hands it to the communication thread. */
  private void send(BucketPlan.Bucket bucket) {
    float[] buffer = buffer(bucket);
    for (BucketPlan.Piece piece : bucket.pieces()) {
      try (NDArray slice = slice(gradient(piece.param()), piece)) {
        slice
            .toByteBuffer()
            .order(ByteOrder.nativeOrder())
            .asFloatBuffer()
            .get(buffer, piece.at(), piece.length());
      }
      unsent[piece.param()] -= piece.length();
      if (shard == OptimConfig.Shard.GRADIENTS && unsent[piece.param()] == 0) {
        dropGradient(piece.param());
      }
    }
    if (bucket.hasTrailer(plan)) {
      buffer[buffer.length - 2] = Float.isFinite(loss) ? 1f : 0f;
      buffer[buffer.length - 1] = loss;
    }
    if (!shard.sharded()) {
      inFlight.add(comm.submit(() -> ranks.sum(buffer, bucket.globalFrom())));
      return;
    }
    inFlight.add(
        comm.submit(
            () -> {
              try {
                ranks.reduceScatter(buffer, bucket.globalFrom());
                forEachOwned(
                    bucket, (from, at, n) -> System.arraycopy(buffer, from, ownedGradients, at, n));
              } finally {
                release(buffer);
              }
              return null;
            }));
  }

  /** The host buffer for a bucket: its own, kept across steps, or one from the ZeRO-2 pool. */
  private float[] buffer(BucketPlan.Bucket bucket) {
    if (pool != null) {
      return pooled(bucket.length());
    }
    float[] buffer = host[bucket.index()];
    if (buffer == null) {
      buffer = host[bucket.index()] = new float[bucket.length()];
    }
    return buffer;
  }

  /**
   * Waits for a pooled buffer; a reduction that failed meanwhile (a dead peer) fails this step
   * instead of leaving it waiting for a buffer that will never come back.
   */
  private float[] pooled(int length) {
    long start = System.nanoTime();
    try {
      while (true) {
        float[] buffer = pool.take(length, 100);
        if (buffer != null) {
          return buffer;
        }
        for (Future<?> f : inFlight) {
          if (f.isDone()) {
            try {
              f.get();
            } catch (ExecutionException e) {
              throw failed("gradient reduce-scatter", e.getCause());
            }
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(
          "rank " + ranks.rank() + " step " + step + ": interrupted", e);
    } finally {
      // Waiting for a ZeRO-2 buffer is waiting for the reductions that hold them.
      waitNanos += System.nanoTime() - start;
    }
  }

  private void release(float[] buffer) {
    if (pool != null) {
      pool.give(buffer);
    }
  }

  /** A parameter's gradient, flattened (a view). */
  private NDArray gradient(int p) {
    if (flat[p] == null) {
      whole[p] = params.get(p).gradient();
      whole[p].attach(scratch);
      flat[p] = whole[p].reshape(-1);
    }
    return flat[p];
  }

  /** ZeRO-2: all of parameter {@code p}'s gradient is on the host; free it on the device. */
  private void dropGradient(int p) {
    flat[p].close();
    whole[p].close();
    flat[p] = null;
    whole[p] = null;
    params.get(p).dropGradient();
  }

  private static NDArray slice(NDArray flat, BucketPlan.Piece piece) {
    return flat.get(range(piece));
  }

  private static NDIndex range(BucketPlan.Piece piece) {
    return new NDIndex("{}:{}", piece.from(), piece.from() + piece.length());
  }

  @Override
  public long commNanos() {
    return ranks.nanos();
  }

  @Override
  public long waitNanos() {
    return waitNanos;
  }

  @Override
  public Result finish() {
    try {
      // Buckets backward never reported (a backward in one piece) go now.
      segmentDone(0);
      long start = System.nanoTime();
      for (Future<?> f : inFlight) {
        f.get();
      }
      waitNanos += System.nanoTime() - start;
      return shard.sharded() ? agreeSharded() : average();
    } catch (ExecutionException e) {
      throw failed("gradient all-reduce", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(
          "rank " + ranks.rank() + " step " + step + ": interrupted", e);
    } finally {
      closeScratch();
    }
  }

  /** Unsharded: the average goes back to the parameters' gradients; every rank has it all. */
  private Result average() {
    boolean finite = true;
    float lossSum = Float.NaN;
    float flags = 0;
    int w = ranks.worldSize();
    float scale = 1f / w;
    norm.reset();
    for (BucketPlan.Bucket bucket : plan.buckets()) {
      float[] buffer = host[bucket.index()];
      int n = gradientLength(bucket);
      for (int i = 0; i < n; i++) {
        buffer[i] *= scale;
        finite &= Float.isFinite(buffer[i]);
      }
      norm.add(buffer, 0, n, bucket.globalFrom());
      if (bucket.hasTrailer(plan)) {
        flags = buffer[n];
        lossSum = buffer[n + 1];
      }
      for (BucketPlan.Piece piece : bucket.pieces()) {
        NDArray average =
            scratch.create(
                FloatBuffer.wrap(buffer, piece.at(), piece.length()), new Shape(piece.length()));
        flat[piece.param()].set(range(piece), average);
      }
    }
    return new Result(finite && flags == w, lossSum / w, StripeNorm.norm(norm.pairs()));
  }

  /**
   * Sharded: this rank averages and checks its shard; one reduction of the stripes' norms and the
   * finite flags, one of the loss (at the trailer's global index, so it is added in the order the
   * unsharded sum adds it), and every rank knows what all know unsharded.
   */
  private Result agreeSharded() {
    int w = ranks.worldSize();
    float scale = 1f / w;
    boolean finite = true;
    for (int i = 0; i < ownedGradients.length; i++) {
      ownedGradients[i] *= scale;
      finite &= Float.isFinite(ownedGradients[i]);
    }
    norm.reset();
    for (BucketPlan.Bucket bucket : plan.buckets()) {
      forEachOwned(
          bucket,
          (from, at, n) -> norm.add(ownedGradients, at, at + n, bucket.globalFrom() + from - at));
    }
    float[] pairs = norm.pairs();
    float[] agreed = Arrays.copyOf(pairs, pairs.length + 1);
    agreed[pairs.length] = finite ? 1f : 0f;
    long start = System.nanoTime();
    ranks.sum(agreed, 0);
    float[] trailer = {Float.isFinite(loss) ? 1f : 0f, loss};
    ranks.sum(trailer, plan.parameters());
    waitNanos += System.nanoTime() - start;
    float[] summed = Arrays.copyOf(agreed, pairs.length);
    return new Result(
        agreed[pairs.length] == w && trailer[0] == w, trailer[1] / w, StripeNorm.norm(summed));
  }

  /**
   * Sharded: {@code deltas} holds what AdamW subtracts from each element of this rank's shard
   * (global order); bucket by bucket they are all-gathered and subtracted from the parameters, so
   * every rank ends with bitwise the same parameters an unsharded step makes.
   */
  void allGatherDeltas(float[] deltas) {
    try (NDManager tmp = params.get(0).array().getManager().newSubManager()) {
      NDArray[] values = new NDArray[params.size()];
      for (BucketPlan.Bucket bucket : plan.buckets()) {
        float[] buffer = buffer(bucket);
        try {
          gatherInto(bucket, buffer, deltas, tmp, values);
        } finally {
          release(buffer);
        }
      }
    }
  }

  /** One range of a bucket this rank owns. */
  private interface OwnedRange {
    /**
     * @param from its first element in the bucket
     * @param at its first element in {@link #ownedGradients}
     * @param length its elements
     */
    void accept(int from, int at, int length);
  }

  /**
   * Each range of {@code bucket} this rank owns, in order, where it sits in its owned gradients.
   */
  private void forEachOwned(BucketPlan.Bucket bucket, OwnedRange range) {
    int[] mine = owned[bucket.index()];
    for (int i = 0, at = ownedAt[bucket.index()]; i < mine.length; i += 2) {
      int n = mine[i + 1] - mine[i];
      range.accept(mine[i], at, n);
      at += n;
    }
  }

  /** All-gathers one bucket of updates and subtracts it from the parameters it covers. */
  private void gatherInto(
      BucketPlan.Bucket bucket, float[] buffer, float[] deltas, NDManager tmp, NDArray[] values) {
    forEachOwned(bucket, (from, at, n) -> System.arraycopy(deltas, at, buffer, from, n));
    long start = System.nanoTime();
    try {
      ranks.allGather(buffer, bucket.globalFrom());
    } catch (RuntimeException e) {
      throw failed("parameter all-gather", e);
    } finally {
      waitNanos += System.nanoTime() - start;
    }
    for (BucketPlan.Piece piece : bucket.pieces()) {
      int p = piece.param();
      if (values[p] == null) {
        values[p] = params.get(p).array().reshape(-1);
        values[p].attach(tmp);
      }
      try (NDArray delta =
              tmp.create(
                  FloatBuffer.wrap(buffer, piece.at(), piece.length()), new Shape(piece.length()));
          NDArray now = slice(values[p], piece);
          NDArray stepped = now.sub(delta)) {
        values[p].set(range(piece), stepped);
      }
    }
  }

  private IllegalStateException failed(String what, Throwable cause) {
    return new IllegalStateException(
        "rank " + ranks.rank() + " step " + step + ": " + what + " failed: " + cause.getMessage(),
        cause);
  }

  private void closeScratch() {
    if (scratch != null) {
      scratch.close();
      scratch = null;
    }
  }

  @Override
  public void close() {
    comm.shutdownNow();
    closeScratch();
  }
}
