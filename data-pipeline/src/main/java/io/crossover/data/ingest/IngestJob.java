package io.crossover.data.ingest;

import io.crossover.data.config.DataConfig;
import io.crossover.data.shard.Dataset;
import io.crossover.data.shard.DatasetWriter;
import io.crossover.data.shard.Filesystems;
import io.crossover.data.shard.Manifest;
import io.crossover.data.shard.ShardWriter;
import io.crossover.data.shard.WrittenShard;
import io.crossover.data.tokenize.Tokenizer;
import io.crossover.data.tokenize.TokenizerSpec;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * {@code crossover ingest}: a Spark job from raw documents to a dataset of Arrow token shards.
 *
 * <ol>
 *   <li>List the input files (sorted) and tokenise them in parallel, one task per group of files;
 *       each document gets a key from (file index, ordinal) and a hash of that key.
 *   <li>One pass of counts: documents read, empty, invalid UTF-8, and tokens per hash bucket.
 *   <li>The validation split is the smallest prefix of hash buckets holding the requested tokens.
 *   <li>Documents go to writing partitions by hash, sorted by key within each, and are written as
 *       shards under a temporary directory; the driver numbers the shards, writes the document
 *       index and the manifest, then renames the directory into place.
 * </ol>
 *
 * Every step depends only on the documents and the config, so the same corpus on {@code file://} or
 * {@code hdfs://} gives the same shards, byte for byte.
 */
public final class IngestJob {
  static final String TRAIN = DatasetWriter.TRAIN;
  static final String VALIDATION = DatasetWriter.VALIDATION;

  private IngestJob() {}

  /** Classes Spark serialises with Kryo in this job (registration is required). */
  public static final List<Class<?>> KRYO_CLASSES =
      List.of(
          IngestDoc.class,
          IngestStats.class,
          WrittenShard.class,
          int[].class,
          long[].class,
          WrittenShard[].class,
          IngestStats[].class);

  /**
   * What ingest will read and write, checked before any Spark work: the output must not exist
   * (unless overwriting), the input must hold files, the tokenizer must load.
   *
   * @param output the qualified dataset directory
   * @param input the qualified input path
   * @param files input files, sorted
   * @param tokenizer the tokenizer, ready to ship to tasks
   */
  public record Inputs(Path output, Path input, List<String> files, TokenizerSpec tokenizer) {}

  /** Checks the config against the filesystems; throws with the key at fault. */
  public static Inputs check(DataConfig data, boolean overwrite, Configuration conf) {
    try {
      Path output = qualify(new Path(data.dataset()), conf);
      if (Filesystems.of(output, conf).exists(output) && !overwrite) {
        throw new IllegalArgumentException(
            "data.dataset: " + output + " already exists; pass --overwrite to replace it");
      }
      if (data.input().path().isEmpty()) {
        throw new IllegalArgumentException(
            "data.input.path: no input given; pass --input or --set data.input.path=<dir or file>");
      }
      Path input = qualify(new Path(data.input().path()), conf);
      List<String> files = listInputs(input, conf);
      TokenizerSpec tokenizer = TokenizerSpec.resolve(data.tokenizer(), conf);
      tokenizer.open().close();
      return new Inputs(output, input, files, tokenizer);
    } catch (IOException e) {
      throw new UncheckedIOException("ingest: " + e.getMessage(), e);
    }
  }

  /** Runs the job; returns the manifest written. */
  public static Manifest run(
      JavaSparkContext sc, DataConfig data, boolean overwrite, Consumer<String> log) {
    Configuration conf = sc.hadoopConfiguration();
    Inputs inputs = check(data, overwrite, conf);
    try {
      Path output = inputs.output();
      FileSystem outFs = Filesystems.of(output, conf);
      Path input = inputs.input();
      List<String> files = inputs.files();
      log.accept("ingest: " + files.size() + " input file(s) under " + input);
      TokenizerSpec tokenizerSpec = inputs.tokenizer();
      int eod;
      String tokenizerId;
      int vocabSize;
      io.crossover.data.tokenize.SpecialTokens specials;
      try (Tokenizer t = tokenizerSpec.open()) {
        eod = t.specials().eod();
        tokenizerId = t.id();
        vocabSize = t.vocabSize();
        specials = t.specials();
      }

      SerializableConfiguration shippedConf = new SerializableConfiguration(conf);
      DataConfig.InputConfig inputConfig = data.input();
      List<Integer> indices = new ArrayList<>();
      for (int i = 0; i < files.size(); i++) {
        indices.add(i);
      }
      int slices = Math.max(1, Math.min(files.size(), sc.defaultParallelism() * 4));
      JavaRDD<IngestDoc> docs =
          sc.parallelize(indices, slices)
              .mapPartitions(
                  it -> tokenise(it, files, inputConfig, tokenizerSpec, shippedConf.get()))
              .persist(StorageLevel.MEMORY_AND_DISK_SER());
      try {
        IngestStats stats =
            docs.mapPartitions(
                    it -> {
                      IngestStats s = new IngestStats();
                      it.forEachRemaining(s::add);
                      return List.of(s).iterator();
                    })
                .reduce(IngestStats::merge);
        log.accept(
            String.format(
                "ingest: %,d documents read, %,d kept (%,d tokens), %,d empty, %,d not valid UTF-8",
                stats.read, stats.kept, stats.keptTokens, stats.empty, stats.invalidUtf8));
        if (stats.kept == 0) {
          throw new IllegalArgumentException(
              "data.input.path: "
                  + input
                  + " has no document with text ("
                  + stats.read
                  + " read, "
                  + stats.empty
                  + " empty, "
                  + stats.invalidUtf8
                  + " not valid UTF-8)");
        }
        int maxBucket = validationMaxBucket(stats, data.validation());
        long valTokens = 0;
        for (int b = 0; b <= maxBucket; b++) {
          valTokens += stats.bucketTokens[b];
        }
        long trainTokens = stats.keptTokens - valTokens;
        int trainParts = partitions(data, trainTokens);
        int valParts = valTokens == 0 ? 0 : partitions(data, valTokens);
        SplitPartitioner partitioner = new SplitPartitioner(trainParts, valParts, maxBucket);

        Path tmp =
            new Path(output.getParent(), "." + output.getName() + ".tmp-" + UUID.randomUUID());
        String tmpDir = tmp.toString();
        long shardTokens = data.shardTokens();
        int batchTokens = data.batchTokens();
        List<WrittenShard> results;
        try {
          results =
              docs.filter(d -> d.status == IngestDoc.KEPT)
                  .mapToPair(d -> new Tuple2<>(d.key, d))
                  .repartitionAndSortWithinPartitions(partitioner)
                  .mapPartitionsWithIndex(
                      (partition, it) ->
                          writePartition(
                              partition,
                              it,
                              partitioner,
                              tmpDir,
                              shardTokens,
                              batchTokens,
                              eod,
                              shippedConf.get()),
                      false)
                  .collect();
          Manifest manifest =
              finish(
                  outFs,
                  tmp,
                  results,
                  data,
                  tokenizerId,
                  vocabSize,
                  specials,
                  input,
                  files.size(),
                  stats);
          publish(outFs, tmp, output, overwrite);
          log.accept(
              String.format(
                  "ingest: wrote %s: train %,d tokens in %d shard(s), validation %,d tokens in %d shard(s)",
                  output,
                  manifest.train().tokens(),
                  manifest.train().shards().size(),
                  manifest.validation().tokens(),
                  manifest.validation().shards().size()));
          return manifest;
        } finally {
          if (outFs.exists(tmp)) {
            outFs.delete(tmp, true);
          }
        }
      } finally {
        docs.unpersist(false);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("ingest failed: " + e.getMessage(), e);
    } catch (Exception e) {
      // Spark throws its checked SparkException undeclared. A task's InputException names the
      // file and line: surface it rather than Spark's wrapper.
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof InputException input) {
          throw new InputException(input.getMessage(), e);
        }
      }
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("ingest failed: " + e.getMessage(), e);
    }
  }

  static Path qualify(Path p, Configuration conf) throws IOException {
    return p.getFileSystem(conf).makeQualified(p);
  }

  static List<String> listInputs(Path input, Configuration conf) throws IOException {
    FileSystem fs = input.getFileSystem(conf);
    FileStatus status;
    try {
      status = fs.getFileStatus(input);
    } catch (FileNotFoundException e) {
      throw new IllegalArgumentException("data.input.path: " + input + " does not exist", e);
    }
    List<String> files = new ArrayList<>();
    if (status.isFile()) {
      files.add(status.getPath().toString());
    } else {
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(input, true);
      while (it.hasNext()) {
        LocatedFileStatus f = it.next();
        String rel = f.getPath().toString().substring(status.getPath().toString().length());
        if (!hidden(rel) && f.getLen() > 0) {
          files.add(f.getPath().toString());
        }
      }
    }
    files.sort(Comparator.naturalOrder());
    if (files.isEmpty()) {
      throw new IllegalArgumentException(
          "data.input.path: "
              + input
              + " contains no input files (names starting with _ or . are skipped)");
    }
    return files;
  }

  private static boolean hidden(String relativePath) {
    for (String part : relativePath.split("/")) {
      if (part.startsWith("_") || part.startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  private static Iterator<IngestDoc> tokenise(
      Iterator<Integer> fileIndices,
      List<String> files,
      DataConfig.InputConfig input,
      TokenizerSpec spec,
      Configuration conf)
      throws IOException {
    List<IngestDoc> out = new ArrayList<>();
    try (Tokenizer tokenizer = spec.open()) {
      while (fileIndices.hasNext()) {
        int fileIndex = fileIndices.next();
        Path file = new Path(files.get(fileIndex));
        long[] ordinal = {0};
        RawDocuments.read(
            file,
            file.toString(),
            input,
            conf,
            bytes -> {
              long key = ((long) fileIndex << 40) | ordinal[0]++;
              String text = Utf8.decodeOrNull(bytes);
              if (text == null) {
                out.add(new IngestDoc(key, IngestDoc.INVALID_UTF8, null));
                return;
              }
              int[] tokens = text.isBlank() ? new int[0] : tokenizer.encode(text);
              out.add(
                  tokens.length == 0
                      ? new IngestDoc(key, IngestDoc.EMPTY, null)
                      : new IngestDoc(key, IngestDoc.KEPT, tokens));
            });
      }
    }
    return out.iterator();
  }

  /** Highest hash bucket in the validation split, or -1 for none. */
  static int validationMaxBucket(IngestStats stats, DataConfig.ValidationConfig validation) {
    long target =
        validation.tokens() > 0
            ? validation.tokens()
            : Math.round(validation.fraction() * stats.keptTokens);
    if (target == 0) {
      return -1;
    }
    String key = validation.tokens() > 0 ? "data.validation.tokens" : "data.validation.fraction";
    long sum = 0;
    for (int b = 0; b < IngestStats.BUCKETS; b++) {
      sum += stats.bucketTokens[b];
      if (sum >= target) {
        if (sum >= stats.keptTokens) {
          break;
        }
        return b;
      }
    }
    throw new IllegalArgumentException(
        key
            + ": holding out "
            + target
            + " tokens leaves no training document (the corpus has "
            + stats.keptTokens
            + " tokens in "
            + stats.kept
            + " documents); lower it");
  }

  private static int partitions(DataConfig data, long tokens) {
    if (data.ingestPartitions() > 0) {
      return data.ingestPartitions();
    }
    return (int)
        Math.max(1, Math.min(4096, (tokens + data.shardTokens() - 1) / data.shardTokens()));
  }

  private static Iterator<WrittenShard> writePartition(
      int partition,
      Iterator<Tuple2<Long, IngestDoc>> docs,
      SplitPartitioner partitioner,
      String tmpDir,
      long shardTokens,
      int batchTokens,
      int eod,
      Configuration conf)
      throws IOException {
    String split = partitioner.isTrainPartition(partition) ? TRAIN : VALIDATION;
    Path dir = new Path(tmpDir, split);
    FileSystem fs = Filesystems.of(dir, conf);
    try (BufferAllocator allocator = new RootAllocator();
        ShardWriter writer =
            new ShardWriter(fs, dir, split, partition, shardTokens, batchTokens, eod, allocator)) {
      while (docs.hasNext()) {
        writer.add(docs.next()._2().tokens);
      }
      return writer.finish().iterator();
    }
  }

  private static Manifest finish(
      FileSystem fs,
      Path tmp,
      List<WrittenShard> results,
      DataConfig data,
      String tokenizerId,
      int vocabSize,
      io.crossover.data.tokenize.SpecialTokens specials,
      Path input,
      int files,
      IngestStats stats)
      throws IOException {
    List<WrittenShard> sorted = new ArrayList<>(results);
    sorted.sort(
        Comparator.comparingInt((WrittenShard r) -> r.partition).thenComparingInt(r -> r.sequence));
    Manifest.Split train = DatasetWriter.finishSplit(fs, tmp, TRAIN, sorted, data.batchTokens());
    Manifest.Split validation =
        DatasetWriter.finishSplit(fs, tmp, VALIDATION, sorted, data.batchTokens());
    Manifest manifest =
        new Manifest(
            Manifest.FORMAT_VERSION,
            tokenizerId,
            vocabSize,
            specials,
            data.batchTokens(),
            new Manifest.Source(
                input.toString(), data.input().format().name().toLowerCase(), files),
            new Manifest.IngestStats(stats.read, stats.empty, stats.invalidUtf8, stats.kept),
            train,
            validation);
    Dataset.writeManifest(fs, tmp, manifest);
    return manifest;
  }

  private static void publish(FileSystem fs, Path tmp, Path output, boolean overwrite)
      throws IOException {
    Path old = null;
    if (fs.exists(output)) {
      if (!overwrite) {
        throw new IllegalArgumentException(
            "data.dataset: "
                + output
                + " appeared while ingesting; pass --overwrite to replace it");
      }
      old = new Path(output.getParent(), "." + output.getName() + ".old-" + UUID.randomUUID());
      if (!fs.rename(output, old)) {
        throw new IOException("cannot move the previous " + output + " aside");
      }
    }
    fs.mkdirs(output.getParent());
    if (!fs.rename(tmp, output)) {
      throw new IOException("cannot rename " + tmp + " to " + output);
    }
    if (old != null) {
      fs.delete(old, true);
    }
  }
}
