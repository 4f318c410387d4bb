package io.crossover.driver.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import io.crossover.data.config.ReaderConfig;
import io.crossover.data.plan.PlanSpec;
import io.crossover.data.plan.TokenPlan;
import io.crossover.data.read.ArrowTokenReader;
import io.crossover.data.read.StepBatch;
import io.crossover.data.shard.Dataset;
import io.crossover.data.shard.DatasetWriter;
import io.crossover.data.shard.Filesystems;
import io.crossover.data.shard.Manifest;
import io.crossover.data.tokenize.ByteTokenizer;
import io.crossover.driver.process.Invocation;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * {@code crossover bench loader}: tokens per second that {@link ArrowTokenReader} delivers (one
 * rank, shuffled sequences, checksums verified, read-ahead thread) next to the raw sequential read
 * of the same shard bytes, on the local filesystem and on an in-process HDFS.
 */
public final class LoaderBench {
  private final long target;
  private final int seqLen;
  private final int batch;
  private final int repeats;
  private final boolean noHdfs;
  private final String corpus;
  private final boolean json;

  /** The benchmark of these settings (the options of {@code crossover bench loader}). */
  public LoaderBench(
      long target,
      int seqLen,
      int batch,
      int repeats,
      boolean noHdfs,
      String corpus,
      boolean json) {
    this.target = target;
    this.seqLen = seqLen;
    this.batch = batch;
    this.repeats = repeats;
    this.noHdfs = noHdfs;
    this.corpus = corpus;
    this.json = json;
  }

  /** Runs the benchmark: prints its table, and its figures as JSON when asked; returns 0. */
  public int run() throws Exception {
    // java.nio's Path, qualified: this file's Path is Hadoop's.
    java.nio.file.Path work = Files.createTempDirectory("crossover-bench-loader");
    Map<String, Object> figures = new LinkedHashMap<>();
    try {
      Configuration conf = new Configuration();
      FileSystem local = Filesystems.raw(FileSystem.getLocal(conf));
      Path localDir = new Path(work.resolve("dataset").toUri());
      Manifest manifest = buildDataset(local, localDir, target);
      figures.put("tokens", manifest.train().tokens());
      figures.put("seq_len", seqLen);
      figures.put("sequences_per_step", batch);
      System.out.printf(
          Locale.ROOT,
          "dataset: %,d tokens in %d shards (%s)%n",
          manifest.train().tokens(),
          manifest.train().shards().size(),
          localDir);
      measure("local", Dataset.open(localDir.toString(), conf), figures);
      if (!noHdfs) {
        File base = work.resolve("minidfs").toFile();
        Configuration hdfsConf = new Configuration();
        MiniDFSCluster cluster = new MiniDFSCluster.Builder(hdfsConf, base).numDataNodes(1).build();
        try {
          cluster.waitActive();
          FileSystem hdfs = cluster.getFileSystem();
          Path remote = new Path(hdfs.getUri().toString() + "/bench/dataset");
          FileUtil.copy(local, localDir, hdfs, remote, false, hdfsConf);
          measure("hdfs", Dataset.open(remote.toString(), cluster.getConfiguration(0)), figures);
        } finally {
          cluster.shutdown();
        }
      }
    } finally {
      FileUtil.fullyDelete(work.toFile());
    }
    printTable(figures);
    if (json) {
      System.out.println(Json.line(figures));
    }
    return 0;
  }

  private Manifest buildDataset(FileSystem fs, Path dir, long target) throws IOException {
    List<int[]> docs = new ArrayList<>();
    ByteTokenizer tokenizer = new ByteTokenizer();
    try (InputStream raw =
            corpus == null
                ? Files.newInputStream(
                    new File(Invocation.home(), "conf/data/brown-slice.jsonl.gz").toPath())
                : Files.newInputStream(new File(corpus).toPath());
        BufferedReader lines =
            new BufferedReader(
                new InputStreamReader(
                    corpus == null || corpus.endsWith(".gz") ? new GZIPInputStream(raw) : raw,
                    StandardCharsets.UTF_8))) {
      for (String line; (line = lines.readLine()) != null; ) {
        JsonNode node = Json.MAPPER.readTree(line);
        docs.add(tokenizer.encode(node.path("text").asText()));
      }
    }
    // Cycle the corpus until the target size: the reader's speed does not depend on the text.
    List<int[]> train = new ArrayList<>();
    long total = 0;
    for (int i = 0; total < target; i++) {
      int[] doc = docs.get(i % docs.size());
      train.add(doc);
      total += doc.length + 1;
    }
    return DatasetWriter.write(
        fs,
        dir,
        train,
        List.of(docs.get(0)),
        tokenizer,
        new Manifest.Source("brown-slice (cycled)", "jsonl", 1),
        4L << 20,
        16 << 10);
  }

  private void measure(String fsName, Dataset dataset, Map<String, Object> figures)
      throws IOException {
    long perStep = (long) batch * seqLen;
    long unique = dataset.manifest().train().tokens() / perStep * perStep;
    int[] lengths;
    try (BufferAllocator a = new RootAllocator()) {
      lengths = dataset.documentLengths(dataset.manifest().train(), a);
    }
    TokenPlan plan =
        TokenPlan.create(
            dataset.manifest(), lengths, new PlanSpec(unique, unique, seqLen, batch, 1, 1));
    double[] raw = new double[repeats];
    double[] verified = new double[repeats];
    double[] unverified = new double[repeats];
    for (int r = 0; r < repeats; r++) {
      raw[r] = rawRead(dataset);
      verified[r] = readerRead(dataset, plan, new ReaderConfig(8, 64L << 20, true));
      unverified[r] = readerRead(dataset, plan, new ReaderConfig(8, 64L << 20, false));
    }
    double rawMedian = median(raw);
    figures.put(fsName + "_raw_tokens_per_s", Math.round(rawMedian));
    figures.put(fsName + "_reader_tokens_per_s", Math.round(median(verified)));
    figures.put(fsName + "_reader_vs_raw", ratio(median(verified), rawMedian));
    figures.put(fsName + "_reader_unverified_tokens_per_s", Math.round(median(unverified)));
    figures.put(fsName + "_reader_unverified_vs_raw", ratio(median(unverified), rawMedian));
  }

  /** Sequential read of every shard's bytes; tokens = bytes / 4. */
  private static double rawRead(Dataset dataset) throws IOException {
    byte[] buf = new byte[1 << 20];
    long bytes = 0;
    long start = System.nanoTime();
    for (Manifest.ShardInfo s : dataset.manifest().train().shards()) {
      try (InputStream in = dataset.fs().open(dataset.path(dataset.manifest().train(), s.file()))) {
        for (int n; (n = in.read(buf)) > 0; ) {
          bytes += n;
        }
      }
    }
    return bytes / 4.0 / ((System.nanoTime() - start) / 1e9);
  }

  private static double readerRead(Dataset dataset, TokenPlan plan, ReaderConfig config) {
    long delivered = 0;
    long checksum = 0;
    long start = System.nanoTime();
    try (BufferAllocator allocator = new RootAllocator();
        ArrowTokenReader reader =
            new ArrowTokenReader(dataset, plan, 0, 0, plan.steps(), config, allocator)) {
      while (reader.hasNext()) {
        StepBatch b = reader.next();
        for (int[] seq : b.tokens()) {
          delivered += seq.length;
          checksum += seq[seq.length - 1];
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (checksum < 0) {
      throw new IllegalStateException("impossible checksum");
    }
    return delivered / seconds;
  }

  private static double ratio(double a, double b) {
    return Math.round(a / b * 1000) / 1000.0;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static void printTable(Map<String, Object> f) {
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "%-6s %18s %18s %8s %18s %8s%n",
        "fs",
        "raw read tok/s",
        "reader tok/s",
        "/raw",
        "no-checksum tok/s",
        "/raw");
    for (String fs : List.of("local", "hdfs")) {
      if (f.containsKey(fs + "_raw_tokens_per_s")) {
        System.out.printf(
            Locale.ROOT,
            "%-6s %,18d %,18d %8.3f %,18d %8.3f%n",
            fs,
            (Long) f.get(fs + "_raw_tokens_per_s"),
            (Long) f.get(fs + "_reader_tokens_per_s"),
            (Double) f.get(fs + "_reader_vs_raw"),
            (Long) f.get(fs + "_reader_unverified_tokens_per_s"),
            (Double) f.get(fs + "_reader_unverified_vs_raw"));
      }
    }
    System.out.println(
        "reader: one rank, shuffled sequences, read-ahead thread; tok/s are medians of the runs.");
  }
}
