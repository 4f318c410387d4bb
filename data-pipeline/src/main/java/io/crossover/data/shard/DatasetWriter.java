package io.crossover.data.shard;

import io.crossover.data.tokenize.Tokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Assembles a dataset directory from written shards: numbers them, writes each split's document
 * index and the manifest. Ingest uses it on the driver after its Spark tasks; {@link #write} uses
 * it in one process for tokens already in memory (benchmarks, tests, small corpora).
 */
public final class DatasetWriter {
  /** Split directory names. */
  public static final String TRAIN = "train";

  public static final String VALIDATION = "validation";

  private DatasetWriter() {}

  /**
   * Renames the {@code split}'s shards in {@code sorted} (stream order) to {@code
   * shard-NNNNN.arrow} and writes {@code documents.arrow}; returns the split's manifest entry.
   */
  public static Manifest.Split finishSplit(
      FileSystem fs, Path datasetDir, String split, List<WrittenShard> sorted, int batchTokens)
      throws IOException {
    Path dir = new Path(datasetDir, split);
    fs.mkdirs(dir);
    List<Manifest.ShardInfo> shards = new ArrayList<>();
    long tokens = 0;
    long documents = 0;
    try (BufferAllocator allocator = new RootAllocator();
        IntColumnWriter index =
            new IntColumnWriter(
                fs.create(new Path(dir, "documents.arrow"), true),
                allocator,
                "length",
                batchTokens,
                Manifest.FORMAT_VERSION)) {
      for (WrittenShard r : sorted) {
        if (!r.split.equals(split)) {
          continue;
        }
        String name = String.format("shard-%05d.arrow", shards.size());
        if (!fs.rename(new Path(dir, r.file), new Path(dir, name))) {
          throw new IOException("cannot rename " + r.file + " to " + name + " in " + dir);
        }
        shards.add(new Manifest.ShardInfo(name, r.tokens, r.documentLengths.length, r.sha256));
        index.write(r.documentLengths, 0, r.documentLengths.length);
        tokens += r.tokens;
        documents += r.documentLengths.length;
      }
      index.close();
      return new Manifest.Split(
          split,
          tokens,
          documents,
          shards,
          new Manifest.FileInfo("documents.arrow", documents, index.sha256()));
    }
  }

  /** Writes a complete dataset from documents in memory (each without its EOD). */
  public static Manifest write(
      FileSystem fs,
      Path dir,
      List<int[]> train,
      List<int[]> validation,
      Tokenizer tokenizer,
      Manifest.Source source,
      long shardTokens,
      int batchTokens)
      throws IOException {
    List<WrittenShard> written = new ArrayList<>();
    try (BufferAllocator allocator = new RootAllocator()) {
      written.addAll(
          writeSplit(fs, dir, TRAIN, 0, train, tokenizer, shardTokens, batchTokens, allocator));
      written.addAll(
          writeSplit(
              fs, dir, VALIDATION, 1, validation, tokenizer, shardTokens, batchTokens, allocator));
    }
    Manifest manifest =
        new Manifest(
            Manifest.FORMAT_VERSION,
            tokenizer.id(),
            tokenizer.vocabSize(),
            tokenizer.specials(),
            batchTokens,
            source,
            new Manifest.IngestStats(
                train.size() + validation.size(), 0, 0, train.size() + validation.size()),
            finishSplit(fs, dir, TRAIN, written, batchTokens),
            finishSplit(fs, dir, VALIDATION, written, batchTokens));
    Dataset.writeManifest(fs, dir, manifest);
    return manifest;
  }

  private static List<WrittenShard> writeSplit(
      FileSystem fs,
      Path dir,
      String split,
      int partition,
      List<int[]> docs,
      Tokenizer tokenizer,
      long shardTokens,
      int batchTokens,
      BufferAllocator allocator)
      throws IOException {
    try (ShardWriter writer =
        new ShardWriter(
            fs,
            new Path(dir, split),
            split,
            partition,
            shardTokens,
            batchTokens,
            tokenizer.specials().eod(),
            allocator)) {
      for (int[] doc : docs) {
        writer.add(doc);
      }
      return writer.finish();
    }
  }
}
