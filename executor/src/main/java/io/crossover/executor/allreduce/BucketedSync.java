package io.crossover.executor.allreduce;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.crossover.executor.model.Param;
import io.crossover.executor.train.Trainer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Data-parallel gradient averaging in buckets ({@link BucketPlan}): as soon as backward has
 * finished the layers of a bucket, its gradients are copied into the bucket's host buffer (reused
 * every step) and summed over the ranks by a communication thread while backward goes on below. The
 * last bucket carries this rank's finite flag and loss, so every rank learns in the same reduction
 * whether all may step and the mean loss. Buckets of any size give bitwise the result of one flat
 * reduction ({@link Collective#sum(float[], long)}), and every rank ends with bitwise the same
 * gradients.
 */
public final class BucketedSync implements Trainer.GradientSync, AutoCloseable {
  private final List<Param> params;
  private final Collective ranks;
  private final BucketPlan plan;
  private final float[][] host;
  private final ExecutorService comm;
  private final List<Future<?>> inFlight = new ArrayList<>();
  private NDManager scratch;
  private NDArray[] flat;
  private int next;
  private long step;
  private float loss;

  public BucketedSync(
      List<Param> params, List<Integer> segments, Collective ranks, long bucketBytes) {
    this.params = params;
    this.ranks = ranks;
    this.plan = BucketPlan.of(params.stream().map(Param::size).toList(), segments, bucketBytes);
    this.host = new float[plan.buckets().size()][];
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
  }

  @Override
  public void segmentDone(int segment) {
    while (next < plan.buckets().size() && plan.buckets().get(next).readyAfter() >= segment) {
      send(plan.buckets().get(next++));
    }
  }

  /** Copies a bucket's gradients to its host buffer and hands it to the communication thread. */
  private void send(BucketPlan.Bucket bucket) {
    float[] buffer = host[bucket.index()];
    if (buffer == null) {
      buffer = host[bucket.index()] = new float[bucket.length()];
    }
    for (BucketPlan.Piece piece : bucket.pieces()) {
      try (NDArray slice = slice(piece)) {
        slice
            .toByteBuffer()
            .order(ByteOrder.nativeOrder())
            .asFloatBuffer()
            .get(buffer, piece.at(), piece.length());
      }
    }
    if (bucket.hasTrailer(plan)) {
      buffer[buffer.length - 2] = Float.isFinite(loss) ? 1f : 0f;
      buffer[buffer.length - 1] = loss;
    }
    float[] values = buffer;
    inFlight.add(comm.submit(() -> ranks.sum(values, bucket.globalFrom())));
  }

  /** A view of the piece's elements in its parameter's gradient. */
  private NDArray slice(BucketPlan.Piece piece) {
    int p = piece.param();
    if (flat[p] == null) {
      NDArray g = params.get(p).array().getGradient();
      g.attach(scratch);
      flat[p] = g.reshape(-1);
    }
    return flat[p].get(new NDIndex("{}:{}", piece.from(), piece.from() + piece.length()));
  }

  @Override
  public Result finish() {
    try {
      // Buckets backward never reported (a backward in one piece) go now.
      segmentDone(0);
      for (Future<?> f : inFlight) {
        f.get();
      }
      boolean finite = true;
      float lossSum = Float.NaN;
      float flags = 0;
      int w = ranks.worldSize();
      float scale = 1f / w;
      for (BucketPlan.Bucket bucket : plan.buckets()) {
        float[] buffer = host[bucket.index()];
        int n = bucket.hasTrailer(plan) ? buffer.length - BucketPlan.TRAILER : buffer.length;
        for (int i = 0; i < n; i++) {
          buffer[i] *= scale;
          finite &= Float.isFinite(buffer[i]);
        }
        if (bucket.hasTrailer(plan)) {
          flags = buffer[n];
          lossSum = buffer[n + 1];
        }
        for (BucketPlan.Piece piece : bucket.pieces()) {
          NDArray average =
              scratch.create(
                  FloatBuffer.wrap(buffer, piece.at(), piece.length()), new Shape(piece.length()));
          flat[piece.param()].set(
              new NDIndex("{}:{}", piece.from(), piece.from() + piece.length()), average);
        }
      }
      return new Result(finite && flags == w, lossSum / w);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw new IllegalStateException(
          "rank "
              + ranks.rank()
              + " step "
              + step
              + ": gradient all-reduce failed: "
              + cause.getMessage(),
          cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(
          "rank " + ranks.rank() + " step " + step + ": interrupted", e);
    } finally {
      closeScratch();
    }
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
