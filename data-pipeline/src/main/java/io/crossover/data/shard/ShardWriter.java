package io.crossover.data.shard;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes the documents of one partition, in order, into shards of at most {@code shardTokens}
 * tokens (a single longer document gets a shard of its own), each document followed by EOD.
 */
public final class ShardWriter implements AutoCloseable {
  private final FileSystem fs;
  private final Path dir;
  private final String split;
  private final int partition;
  private final long shardTokens;
  private final int batchTokens;
  private final int eod;
  private final BufferAllocator allocator;
  private final List<WrittenShard> results = new ArrayList<>();
  private IntColumnWriter current;
  private String currentFile;
  private final IntList docLengths = new IntList();

  public ShardWriter(
      FileSystem fs,
      Path dir,
      String split,
      int partition,
      long shardTokens,
      int batchTokens,
      int eod,
      BufferAllocator allocator) {
    this.fs = fs;
    this.dir = dir;
    this.split = split;
    this.partition = partition;
    this.shardTokens = shardTokens;
    this.batchTokens = batchTokens;
    this.eod = eod;
    this.allocator = allocator;
  }

  /** Appends one document and its EOD. */
  public void add(int[] tokens) throws IOException {
    long stored = tokens.length + 1L;
    if (current != null && current.rows() + stored > shardTokens) {
      finishShard();
    }
    if (current == null) {
      currentFile = String.format("part-%05d-%05d.arrow", partition, results.size());
      current =
          new IntColumnWriter(
              fs.create(new Path(dir, currentFile), true),
              allocator,
              "tokens",
              batchTokens,
              Manifest.FORMAT_VERSION);
    }
    current.write(tokens, 0, tokens.length);
    current.write(eod);
    docLengths.add(Math.toIntExact(stored));
  }

  private void finishShard() throws IOException {
    long rows = current.rows();
    current.close();
    results.add(
        new WrittenShard(
            partition,
            results.size(),
            split,
            currentFile,
            rows,
            current.sha256(),
            docLengths.toArray()));
    docLengths.clear();
    current = null;
  }

  /** Closes the last shard; returns every shard written, in order. */
  public List<WrittenShard> finish() throws IOException {
    if (current != null) {
      finishShard();
    }
    return results;
  }

  @Override
  public void close() throws IOException {
    if (current != null) {
      current.close();
      current = null;
    }
  }

  /** A growable int array: document lengths without boxing. */
  static final class IntList {
    private int[] values = new int[64];
    private int size;

    void add(int v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    int[] toArray() {
      return Arrays.copyOf(values, size);
    }

    void clear() {
      size = 0;
    }
  }
}
