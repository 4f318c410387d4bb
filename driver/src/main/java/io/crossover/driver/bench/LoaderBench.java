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
import java.util.concurrent.Callable;
import java.util.zip.GZIPInputStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code crossover bench loader}: tokens per second that {@link ArrowTokenReader} delivers (one
 * rank, shuffled sequences, checksums verified, read-ahead thread) next to the raw sequential read
 * of the same shard bytes, on the local filesystem and on an in-process HDFS.
 */
@Command(
    name = "loader",
    mixinStandardHelpOptions = true,
    description =
        "Tokens/s delivered by the Arrow batch reader vs raw file reads (local and HDFS).")
public final class LoaderBench implements Callable<Integer> {
  @Option(
      names = "--tokens",
      defaultValue = "32Mi",
      description = "Dataset size in tokens (default ${DEFAULT-VALUE}).")
  String tokens;

  @Option(
      names = "--seq-len",
      defaultValue = "2048",
      description = "Sequence length (default ${DEFAULT-VALUE}).")
  int seqLen;

  @Option(
      names = "--batch",
      defaultValue = "16",
      description = "Sequences per step (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(
      names = "--repeats",
      defaultValue = "3",
      description = "Runs per figure; the median is shown (default ${DEFAULT-VALUE}).")
  int repeats;

  @Option(names = "--no-hdfs", description = "Skip the MiniDFSCluster measurements.")
  boolean noHdfs;

  @Option(
      names = "--corpus",
      description = "JSONL corpus to build the dataset from (default: the shipped Brown slice).")
  String corpus;

  @Option(
      names = "--json",
      description = "Print one JSON object with every figure as the last line.")
  boolean json;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    long target;
    try {
      target = io.crossover.data.config.Counts.parse(tokens);
    } catch (NumberFormatException e) {
      throw usage("--tokens " + tokens + " is not a count; write e.g. 32Mi or 50M");
    }
    if (seqLen < 2 || batch < 1 || repeats < 1) {
      throw usage(
          "--seq-len must be >= 2, --batch and --repeats >= 1 (got "
              + seqLen
              + ", "
              + batch
              + ", "
              + repeats
              + ")");
    }
    if (target < (long) seqLen * batch) {
      throw usage(
          "--tokens "
              + tokens
              + " is less than one step of --batch "
              + batch
              + " x --seq-len "
              + seqLen
              + " tokens; a benchmark needs at least that");
    }
    if (corpus != null && !new File(corpus).isFile()) {
      throw usage(
          "--corpus " + corpus + " is not a file; give a JSONL corpus (.jsonl or .jsonl.gz)");
    }
    java.nio.file.Path work = Files.createTempDirectory("crossover-bench-loader");
    Map<String, Object> figures = new LinkedHashMap<>();
    try {
      Configuration conf = new Configuration();
      FileSystem local = io.crossover.data.shard.Filesystems.raw(FileSystem.getLocal(conf));
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

  private picocli.CommandLine.ParameterException usage(String message) {
    return new picocli.CommandLine.ParameterException(spec.commandLine(), message);
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
