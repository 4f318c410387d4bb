package io.crossover.data.read;

import io.crossover.data.shard.CorruptShardException;
import io.crossover.data.shard.Dataset;
import io.crossover.data.shard.IntColumnFile;
import io.crossover.data.shard.Manifest;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Random access to the token stream of one split: open shards (verified once each), and an LRU of
 * decoded record batches bounded in tokens. Used by one thread.
 */
final class ShardCache implements AutoCloseable {
  private static final int MAX_OPEN_SHARDS = 32;

  private final Dataset dataset;
  private final Manifest.Split split;
  private final boolean verify;
  private final BufferAllocator allocator;
  private final long[] shardStart;
  private final long cacheTokens;
  private final BitSet verified = new BitSet();
  private final LinkedHashMap<Integer, IntColumnFile> open = new LinkedHashMap<>(16, 0.75f, true);
  private final LinkedHashMap<Long, int[]> batches = new LinkedHashMap<>(64, 0.75f, true);
  private long cachedTokens;

  ShardCache(
      Dataset dataset,
      Manifest.Split split,
      boolean verify,
      long cacheTokens,
      BufferAllocator allocator) {
    this.dataset = dataset;
    this.split = split;
    this.verify = verify;
    this.cacheTokens = cacheTokens;
    this.allocator = allocator;
    shardStart = new long[split.shards().size() + 1];
    for (int i = 0; i < split.shards().size(); i++) {
      shardStart[i + 1] = shardStart[i] + split.shards().get(i).tokens();
    }
  }

  /** Copies {@code len} tokens starting at {@code offset} of the split's stream into dst. */
  void copy(long offset, int len, int[] dst, int dstPos) {
    if (offset < 0 || offset + len > shardStart[shardStart.length - 1]) {
      throw new IllegalArgumentException(
          "tokens ["
              + offset
              + ", "
              + (offset + len)
              + ") are outside the split's "
              + shardStart[shardStart.length - 1]);
    }
    while (len > 0) {
      int shard = shardOf(offset);
      long row = offset - shardStart[shard];
      int batchRows = dataset.manifest().batchTokens();
      int batch = (int) (row / batchRows);
      int[] values = batch(shard, batch);
      int from = (int) (row - (long) batch * batchRows);
      int n = Math.min(len, values.length - from);
      System.arraycopy(values, from, dst, dstPos, n);
      offset += n;
      dstPos += n;
      len -= n;
    }
  }

  private int shardOf(long offset) {
    int i = Arrays.binarySearch(shardStart, offset);
    // Exact hits land on a shard's first token; skip empty shards (equal starts).
    if (i >= 0) {
      while (i + 1 < shardStart.length && shardStart[i + 1] == offset) {
        i++;
      }
      return i;
    }
    return -i - 2;
  }

  private int[] batch(int shard, int batch) {
    long key = ((long) shard << 32) | batch;
    int[] values = batches.get(key);
    if (values != null) {
      return values;
    }
    values = file(shard).readBatch(batch);
    checkVocabulary(shard, batch, values);
    if (cacheTokens > 0) {
      batches.put(key, values);
      cachedTokens += values.length;
      Iterator<Map.Entry<Long, int[]>> it = batches.entrySet().iterator();
      while (cachedTokens > cacheTokens && it.hasNext()) {
        int[] evicted = it.next().getValue();
        if (evicted == values) {
          break;
        }
        cachedTokens -= evicted.length;
        it.remove();
      }
    }
    return values;
  }

  /**
   * Ids outside the vocabulary would reach libtorch as "index out of range in self"; they can only
   * come from shards that do not match the manifest (checksums off, or an edited manifest).
   */
  private void checkVocabulary(int shard, int batch, int[] values) {
    int vocab = dataset.manifest().vocabSize();
    for (int i = 0; i < values.length; i++) {
      if (values[i] < 0 || values[i] >= vocab) {
        // Damaged data, not a setting to fix: a failure (exit 1) naming the shard.
        throw new CorruptShardException(
            Dataset.displayName(split, split.shards().get(shard).file()),
            "holds token id "
                + values[i]
                + " (record batch "
                + batch
                + ", row "
                + i
                + "), outside the vocabulary of "
                + vocab
                + " ids of tokenizer "
                + dataset.manifest().tokenizer()
                + "; the shards do not match the manifest: ingest the corpus again");
      }
    }
  }

  private IntColumnFile file(int shard) {
    IntColumnFile f = open.get(shard);
    if (f != null) {
      return f;
    }
    boolean check = verify && !verified.get(shard);
    f = dataset.openShard(split, shard, check, allocator);
    verified.set(shard);
    open.put(shard, f);
    if (open.size() > MAX_OPEN_SHARDS) {
      Iterator<IntColumnFile> it = open.values().iterator();
      it.next().close();
      it.remove();
    }
    return f;
  }

  @Override
  public void close() {
    for (IntColumnFile f : open.values()) {
      f.close();
    }
    open.clear();
    batches.clear();
  }
}
