package io.crossover.data.ingest;

import io.crossover.data.Failure;
import io.crossover.data.UserException;
import io.crossover.data.cloze.ClozeBuilder;
import io.crossover.data.config.DataConfig;
import io.crossover.data.shard.Dataset;
import io.crossover.data.shard.DatasetWriter;
import io.crossover.data.shard.Filesystems;
import io.crossover.data.shard.Manifest;
import io.crossover.data.shard.ShardWriter;
import io.crossover.data.shard.WrittenShard;
import io.crossover.data.tokenize.Tokenizer;
import io.crossover.data.tokenize.TokenizerSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * {@code crossover ingest}: a Spark job from raw documents to a dataset of Arrow token shards.
 *
 * <ol>
 *   <li>Tokenise: one task per input file; each document gets a key from (file index, ordinal) and
 *       a hash of that key.
 *   <li>Count: documents read, empty, invalid UTF-8, and tokens per hash bucket.
 *   <li>Split: the validation split is the smallest prefix of hash buckets holding the requested
 *       tokens.
 *   <li>Write: documents go to writing partitions by hash, sorted by key within each, and become
 *       shards under a temporary directory.
 *   <li>Publish: the driver numbers the shards, writes the document index and the manifest, then
 *       renames the directory into place.
 * </ol>
 *
 * Every step depends only on the documents and the config, so the same corpus on {@code file://} or
 * {@code hdfs://} gives the same shards, byte for byte.
 */
public final class IngestJob {
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

  private static final int MAX_READ_TASKS = 100_000;

  private final JavaSparkContext sc;
  private final DataConfig data;
  private final IngestInputs inputs;
  private final Consumer<String> log;
  private final SerializableConfiguration conf;

  private IngestJob(
      JavaSparkContext sc, DataConfig data, IngestInputs inputs, Consumer<String> log) {
    this.sc = sc;
    this.data = data;
    this.inputs = inputs;
    this.log = log;
    this.conf = new SerializableConfiguration(sc.hadoopConfiguration());
  }

  /** Runs the job; returns the manifest written. */
  public static Manifest run(
      JavaSparkContext sc, DataConfig data, boolean overwrite, Consumer<String> log) {
    IngestInputs inputs = IngestInputs.check(data, overwrite, sc.hadoopConfiguration());
    try {
      return new IngestJob(sc, data, inputs, log).run(overwrite);
    } catch (IOException e) {
      throw new Failure("ingest failed: " + e.getMessage(), e);
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
      throw new Failure("ingest failed: " + e.getMessage(), e);
    }
  }

  private Manifest run(boolean overwrite) throws IOException {
    log.accept("ingest: " + inputs.files().size() + " input file(s) under " + inputs.input());
    JavaRDD<IngestDoc> docs = tokenise().persist(StorageLevel.MEMORY_AND_DISK_SER());
    FileSystem fs = Filesystems.of(inputs.output(), conf.get());
    Path tmp = sibling(inputs.output(), "tmp");
    try {
      IngestStats stats = count(docs);
      List<WrittenShard> shards = write(docs, split(stats), tmp);
      Manifest manifest = assemble(fs, tmp, shards, stats);
      if (data.clozeItems() > 0) {
        cloze(tmp);
      }
      publish(fs, tmp, inputs.output(), overwrite);
      log.accept(
          String.format(
              "ingest: wrote %s: train %,d tokens in %d shard(s), validation %,d tokens in %d"
                  + " shard(s)",
              inputs.output(),
              manifest.train().tokens(),
              manifest.train().shards().size(),
              manifest.validation().tokens(),
              manifest.validation().shards().size()));
      return manifest;
    } finally {
      docs.unpersist(false);
      if (fs.exists(tmp)) {
        fs.delete(tmp, true);
      }
    }
  }

  /** Step 1: every document of every file, tokenised or marked as skipped. */
  private JavaRDD<IngestDoc> tokenise() {
    List<String> files = inputs.files();
    List<Integer> indices = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      indices.add(i);
    }
    DataConfig.InputConfig input = data.input();
    TokenizerSpec tokenizer = inputs.tokenizer();
    SerializableConfiguration shipped = conf;
    return sc.parallelize(indices, Math.min(files.size(), MAX_READ_TASKS))
        .mapPartitions(it -> tokenise(it, files, input, tokenizer, shipped.get()));
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
              int[] tokens = text == null || text.isBlank() ? null : tokenizer.encode(text);
              byte status =
                  text == null
                      ? IngestDoc.INVALID_UTF8
                      : tokens == null || tokens.length == 0 ? IngestDoc.EMPTY : IngestDoc.KEPT;
              out.add(new IngestDoc(key, status, status == IngestDoc.KEPT ? tokens : null));
            });
      }
    }
    return out.iterator();
  }

  /** Step 2: counts, and tokens per hash bucket. */
  private IngestStats count(JavaRDD<IngestDoc> docs) {
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
      throw new UserException(
          String.format(
              "data.input.path: %s has no document with text (%d read, %d empty, %d not valid"
                  + " UTF-8)",
              inputs.input(), stats.read, stats.empty, stats.invalidUtf8));
    }
    return stats;
  }

  /** Step 3: which documents are held out, and how many partitions write each split. */
  private SplitPartitioner split(IngestStats stats) {
    int maxBucket = validationMaxBucket(stats, data.validation());
    long validationTokens = 0;
    for (int b = 0; b <= maxBucket; b++) {
      validationTokens += stats.bucketTokens[b];
    }
    long trainTokens = stats.keptTokens - validationTokens;
    return new SplitPartitioner(
        partitions(trainTokens),
        validationTokens == 0 ? 0 : partitions(validationTokens),
        maxBucket);
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
    String key = validation.tokens() > 0 ? "data.validation.tokens" : "data.validation.fraction";
    throw new UserException(
        String.format(
            "%s: holding out %d tokens leaves no training document (the corpus has %d tokens in %d"
                + " documents); lower it",
            key, target, stats.keptTokens, stats.kept));
  }

  private int partitions(long tokens) {
    if (data.ingestPartitions() > 0) {
      return data.ingestPartitions();
    }
    return (int)
        Math.max(1, Math.min(4096, (tokens + data.shardTokens() - 1) / data.shardTokens()));
  }

  /** Step 4: shards under {@code tmp}, described by what each writing task reports. */
  private List<WrittenShard> write(JavaRDD<IngestDoc> docs, SplitPartitioner partitioner, Path tmp)
      throws IOException {
    int eod;
    try (Tokenizer t = inputs.tokenizer().open()) {
      eod = t.specials().eod();
    }
    String dir = tmp.toString();
    long shardTokens = data.shardTokens();
    int batchTokens = data.batchTokens();
    SerializableConfiguration shipped = conf;
    return docs.filter(d -> d.status == IngestDoc.KEPT)
        .mapToPair(d -> new Tuple2<>(d.key, d))
        .repartitionAndSortWithinPartitions(partitioner)
        .mapPartitionsWithIndex(
            (partition, it) -> {
              String split =
                  partitioner.isTrainPartition(partition)
                      ? DatasetWriter.TRAIN
                      : DatasetWriter.VALIDATION;
              Path splitDir = new Path(dir, split);
              FileSystem fs = Filesystems.of(splitDir, shipped.get());
              try (BufferAllocator allocator = new RootAllocator();
                  ShardWriter writer =
                      new ShardWriter(
                          fs,
                          splitDir,
                          split,
                          partition,
                          shardTokens,
                          batchTokens,
                          eod,
                          allocator)) {
                while (it.hasNext()) {
                  writer.add(it.next()._2().tokens);
                }
                return writer.finish().iterator();
              }
            },
            false)
        .collect();
  }

  /** Step 5a: shards numbered in (partition, sequence) order, document index, manifest. */
  private Manifest assemble(FileSystem fs, Path tmp, List<WrittenShard> shards, IngestStats stats)
      throws IOException {
    List<WrittenShard> sorted = new ArrayList<>(shards);
    sorted.sort(
        Comparator.comparingInt((WrittenShard r) -> r.partition).thenComparingInt(r -> r.sequence));
    Manifest manifest;
    try (Tokenizer t = inputs.tokenizer().open()) {
      manifest =
          new Manifest(
              Manifest.FORMAT_VERSION,
              t.id(),
              t.vocabSize(),
              t.specials(),
              data.batchTokens(),
              new Manifest.Source(
                  inputs.input().toString(),
                  data.input().format().name().toLowerCase(),
                  inputs.files().size()),
              new Manifest.IngestStats(stats.read, stats.empty, stats.invalidUtf8, stats.kept),
              DatasetWriter.finishSplit(fs, tmp, DatasetWriter.TRAIN, sorted, data.batchTokens()),
              DatasetWriter.finishSplit(
                  fs, tmp, DatasetWriter.VALIDATION, sorted, data.batchTokens()));
    }
    Dataset.writeManifest(fs, tmp, manifest);
    return manifest;
  }

  /**
   * Step 5c: the cloze task from the validation split, inside the dataset before it appears; a task
   * that fails its blind audit is refused, and so is the ingest (nothing is published).
   */
  private void cloze(Path tmp) throws IOException {
    Dataset dataset = Dataset.open(tmp.toString(), conf.get());
    try (Tokenizer tokenizer = inputs.tokenizer().open()) {
      ClozeBuilder.Audited task =
          ClozeBuilder.buildAndAudit(
              dataset,
              tokenizer,
              ClozeBuilder.defaults(data.clozeItems(), data.clozeSeed()),
              DataConfig.CLOZE_FILE);
      if (!task.audit().passed()) {
        throw ClozeBuilder.refusal(
            task.audit(),
            "set another data.cloze-seed (now "
                + data.clozeSeed()
                + "), or data.cloze-items = 0 and build it with `crossover cloze --seed N`");
      }
      ClozeBuilder.write(
          Filesystems.of(tmp, conf.get()),
          new Path(tmp, DataConfig.CLOZE_FILE),
          task.built().items());
      log.accept(
          String.format(
              Locale.ROOT,
              "ingest: %d cloze items from %d validation documents -> %s; blind audit passed (best"
                  + " of %d rules %.3f, chance %.3f)",
              task.built().items().size(),
              task.built().documents(),
              DataConfig.CLOZE_FILE,
              task.audit().rules().size(),
              task.audit().best().accuracy().value(),
              task.audit().chance()));
    }
  }

  /** Step 5b: the complete dataset replaces the output in one rename. */
  private static void publish(FileSystem fs, Path tmp, Path output, boolean overwrite)
      throws IOException {
    Path old = null;
    if (fs.exists(output)) {
      if (!overwrite) {
        throw new UserException(
            "data.dataset: "
                + output
                + " appeared while ingesting; pass --overwrite to replace it");
      }
      old = sibling(output, "old");
      if (!fs.rename(output, old)) {
        throw new IOException("cannot move the previous " + output + " aside");
      }
    }
    fs.mkdirs(output.getParent());
    if (!fs.rename(tmp, output)) {
      // The previous dataset comes back at once; should even that fail, the next ingest of this
      // output puts it back (recoverInterrupted).
      boolean back = old != null && !fs.exists(output) && fs.rename(old, output);
      throw new IOException(
          "cannot rename "
              + tmp
              + " to "
              + output
              + "; nothing was published"
              + (back ? " and the previous dataset is in place" : ""));
    }
    if (old != null) {
      fs.delete(old, true);
    }
  }

  /**
   * Cleans up after an ingest of {@code output} that was killed: partial outputs ({@code
   * .NAME.tmp-*}) are removed; a previous dataset moved aside by {@code --overwrite} ({@code
   * .NAME.old-*}) is put back when the new one never replaced it, else removed. Tells {@code log}
   * what it did.
   */
  public static void recoverInterrupted(Path output, Configuration conf, Consumer<String> log) {
    try {
      FileSystem fs = Filesystems.of(output, conf);
      Path parent = output.getParent();
      if (parent == null || !fs.exists(parent)) {
        return;
      }
      String prefix = "." + output.getName() + ".";
      List<Path> old = new ArrayList<>();
      for (FileStatus s : fs.listStatus(parent)) {
        String name = s.getPath().getName();
        if (name.startsWith(prefix + "tmp-")) {
          fs.delete(s.getPath(), true);
          log.accept("ingest: removed " + name + ", the partial output of an interrupted ingest");
        } else if (name.startsWith(prefix + "old-")) {
          old.add(s.getPath());
        }
      }
      for (Path p : old) {
        if (!fs.exists(output) && fs.rename(p, output)) {
          log.accept(
              "ingest: put back the previous "
                  + output.getName()
                  + " from "
                  + p.getName()
                  + " (an interrupted --overwrite had moved it aside)");
        } else {
          fs.delete(p, true);
          log.accept("ingest: removed " + p.getName() + ", left by an interrupted --overwrite");
        }
      }
    } catch (IOException e) {
      throw new Failure(
          "cannot clean up after an earlier ingest of " + output + ": " + e.getMessage(), e);
    }
  }

  /** A hidden sibling directory, e.g. {@code .dataset.tmp-<uuid>}. */
  private static Path sibling(Path output, String kind) {
    return new Path(
        output.getParent(), "." + output.getName() + "." + kind + "-" + UUID.randomUUID());
  }
}
