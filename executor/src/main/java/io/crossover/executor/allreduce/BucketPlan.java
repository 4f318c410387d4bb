package io.crossover.executor.allreduce;

import io.crossover.executor.model.ParamLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * How gradients leave the device: the parameters in the order backward finishes them (top segment
 * first, the embedding last), laid end to end as one logical vector and cut into buckets of at most
 * {@code bucketBytes}. A parameter larger than a bucket is split across buckets. The last bucket
 * also carries the step's trailer (this rank's finite flag and loss). Computed from shapes alone,
 * so the planner can print it for a model nobody has allocated.
 *
 * @param buckets in sending order
 * @param parameters the trainable scalars (the trailer not included)
 */
public record BucketPlan(List<Bucket> buckets, long parameters) {
  /** Elements after the gradients in the last bucket: the finite flag and the loss. */
  public static final int TRAILER = 2;

  /**
   * A run of the logical vector: elements {@code [globalFrom, globalFrom + length)}.
   *
   * @param readyAfter the lowest segment among its parameters: the bucket can be sent once the
   *     backward of that segment is done
   * @param pieces where each piece of a parameter's gradient goes in the bucket
   */
  public record Bucket(int index, long globalFrom, int length, int readyAfter, List<Piece> pieces) {
    public long bytes() {
      return 4L * length;
    }

    /** Whether the trailer sits in this bucket's last {@link #TRAILER} elements. */
    public boolean hasTrailer(BucketPlan plan) {
      return globalFrom + length == plan.parameters() + TRAILER;
    }
  }

  /**
   * Elements {@code [from, from + length)} of parameter {@code param} (flattened, in the model's
   * parameter order) sit at {@code at} in the bucket.
   */
  public record Piece(int param, long from, int length, int at) {}

  /** The plan for a model's parameters (sizes and backward segments, in parameter order). */
  public static BucketPlan of(List<Long> sizes, List<Integer> segments, long bucketBytes) {
    if (sizes.size() != segments.size()) {
      throw new IllegalArgumentException(
          sizes.size() + " sizes but " + segments.size() + " segments");
    }
    long capacity = bucketBytes / 4;
    if (capacity < TRAILER) {
      throw new IllegalArgumentException("a bucket must hold at least " + TRAILER + " floats");
    }
    int[] order =
        IntStream.range(0, sizes.size())
            .boxed()
            .sorted(Comparator.comparing((Integer i) -> -segments.get(i)).thenComparing(i -> i))
            .mapToInt(Integer::intValue)
            .toArray();
    List<Bucket> buckets = new ArrayList<>();
    List<Piece> pieces = new ArrayList<>();
    long global = 0;
    long bucketFrom = 0;
    int used = 0;
    int lowest = Integer.MAX_VALUE;
    for (int param : order) {
      long size = sizes.get(param);
      for (long from = 0; from < size; ) {
        if (used == capacity) {
          buckets.add(new Bucket(buckets.size(), bucketFrom, used, lowest, List.copyOf(pieces)));
          pieces.clear();
          bucketFrom = global;
          used = 0;
          lowest = Integer.MAX_VALUE;
        }
        int take = (int) Math.min(size - from, capacity - used);
        pieces.add(new Piece(param, from, take, used));
        lowest = Math.min(lowest, segments.get(param));
        used += take;
        from += take;
        global += take;
      }
    }
    if (used + TRAILER > capacity) {
      buckets.add(new Bucket(buckets.size(), bucketFrom, used, lowest, List.copyOf(pieces)));
      pieces.clear();
      bucketFrom = global;
      used = 0;
    }
    // The trailer is known only when backward is complete: its bucket waits for segment 0.
    buckets.add(new Bucket(buckets.size(), bucketFrom, used + TRAILER, 0, List.copyOf(pieces)));
    return new BucketPlan(List.copyOf(buckets), global);
  }

  /** The plan for a model of {@code layout} (see {@link ParamLayout#of}). */
  public static BucketPlan of(List<ParamLayout.Spec> layout, long bucketBytes) {
    return of(
        layout.stream().map(ParamLayout.Spec::size).toList(),
        layout.stream().map(ParamLayout.Spec::segment).toList(),
        bucketBytes);
  }

  /** The largest bucket, in bytes. */
  public long largestBytes() {
    return buckets.stream().mapToLong(Bucket::bytes).max().orElse(0);
  }
}
