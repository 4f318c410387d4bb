package io.crossover.data.read;

import io.crossover.data.config.ReaderConfig;
import io.crossover.data.shard.Dataset;
import io.crossover.data.shard.Manifest;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The held-out sequences a validation loss is measured on: drawn across the <b>whole</b> validation
 * split, stratified by document — each document gives a share of the sequences proportional to its
 * length (largest remainders round), at positions spread over it and fixed by a seed — so that a
 * loss speaks for the split, not for its first few documents, and every sequence knows the document
 * it comes from (intervals resample documents). A document shorter than a sequence gives one that
 * runs on into the next documents, as training sequences do; a sequence belongs to the document
 * that holds most of its tokens.
 *
 * @param sequences the sequences
 * @param docs each sequence's document, its index in the split
 */
public record ValidationSample(int[][] sequences, int[] docs) {

  /** No sequences (a dataset without a validation split). */
  public static final ValidationSample NONE = new ValidationSample(new int[0][], new int[0]);

  /** The number of sequences. */
  public int size() {
    return sequences.length;
  }

  /**
   * Draws {@code count} sequences of {@code seqLen} tokens (fewer when the split is shorter) with
   * {@code seed}.
   */
  public static ValidationSample draw(
      Dataset dataset,
      Manifest.Split split,
      int count,
      int seqLen,
      long seed,
      ReaderConfig config,
      BufferAllocator parent) {
    int n = (int) Math.min(count, split.tokens() / seqLen);
    if (n == 0) {
      return NONE;
    }
    try (BufferAllocator allocator =
            parent.newChildAllocator("validation-sample", 0, Long.MAX_VALUE);
        ShardCache cache =
            new ShardCache(
                dataset, split, config.verifyChecksums(), config.cacheTokens(), allocator)) {
      int[] lengths = dataset.documentLengths(split, allocator);
      long[] starts = new long[lengths.length];
      for (int d = 1; d < lengths.length; d++) {
        starts[d] = starts[d - 1] + lengths[d - 1];
      }
      int[] quota = quotas(lengths, split.tokens(), n, new SplittableRandom(seed));
      int[][] out = new int[n][seqLen];
      int[] docs = new int[n];
      SplittableRandom random = new SplittableRandom(seed ^ 0x5A4D91E5L);
      int i = 0;
      for (int d = 0; d < lengths.length; d++) {
        long last = split.tokens() - seqLen;
        for (int k = 0; k < quota[d]; k++) {
          // k-th of quota[d] equal stretches of the document's possible starts, uniformly within.
          long room = Math.max(1, lengths[d] - (long) seqLen + 1);
          long from = starts[d] + room * k / quota[d];
          long to = starts[d] + room * (k + 1) / quota[d];
          long at = Math.min(last, from + (to > from ? random.nextLong(to - from) : 0));
          cache.copy(at, seqLen, out[i], 0);
          docs[i++] = owner(at, seqLen, starts, lengths);
        }
      }
      return new ValidationSample(out, docs);
    }
  }

  /** The document holding most of the tokens [at, at + length) (the first such one). */
  static int owner(long at, int length, long[] starts, int[] lengths) {
    int d = Arrays.binarySearch(starts, at);
    if (d < 0) {
      d = -d - 2;
    }
    int best = d;
    long most = 0;
    for (long end = at + length; d < starts.length && starts[d] < end; d++) {
      long overlap = Math.min(end, starts[d] + lengths[d]) - Math.max(at, starts[d]);
      if (overlap > most) {
        most = overlap;
        best = d;
      }
    }
    return best;
  }

  /** Sequences per document: proportional to its tokens, remainders to the largest fractions. */
  static int[] quotas(int[] lengths, long total, int n, SplittableRandom random) {
    int[] quota = new int[lengths.length];
    double[] remainder = new double[lengths.length];
    int given = 0;
    for (int d = 0; d < lengths.length; d++) {
      double exact = (double) n * lengths[d] / total;
      quota[d] = (int) Math.floor(exact);
      // A random tie-breaker below the fractions' resolution keeps equal documents fair.
      remainder[d] = exact - quota[d] + random.nextDouble() * 1e-9;
      given += quota[d];
    }
    Integer[] order = new Integer[lengths.length];
    for (int d = 0; d < order.length; d++) {
      order[d] = d;
    }
    Arrays.sort(order, (a, b) -> Double.compare(remainder[b], remainder[a]));
    for (int k = 0; given < n; k++, given++) {
      quota[order[k % order.length]]++;
    }
    return quota;
  }
}
