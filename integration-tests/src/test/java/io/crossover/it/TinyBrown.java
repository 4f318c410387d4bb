package io.crossover.it;

import io.crossover.data.Json;
import io.crossover.data.shard.DatasetWriter;
import io.crossover.data.shard.Filesystems;
import io.crossover.data.shard.Manifest;
import io.crossover.data.tokenize.ByteTokenizer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/** A byte-level dataset of the shipped Brown slice's first twelve documents, on local files. */
final class TinyBrown {
  private TinyBrown() {}

  static Path write(Path dataset) throws Exception {
    List<int[]> docs = new ArrayList<>();
    ByteTokenizer bytes = new ByteTokenizer();
    try (BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(IngestIT.BROWN)),
                StandardCharsets.UTF_8))) {
      for (String line; (line = lines.readLine()) != null && docs.size() < 12; ) {
        docs.add(bytes.encode(Json.MAPPER.readTree(line).path("text").asText()));
      }
    }
    FileSystem fs = Filesystems.raw(FileSystem.getLocal(new Configuration()));
    DatasetWriter.write(
        fs,
        new org.apache.hadoop.fs.Path(dataset.toUri()),
        docs,
        List.of(docs.get(0)),
        bytes,
        new Manifest.Source("brown", "jsonl", 1),
        1 << 20,
        1 << 14);
    return dataset;
  }

  /**
   * {@code crossover train} of a tiny model on {@code dataset} (8Ki unique tokens, {@code total}
   * tokens in steps of 16 sequences of 64) in one process, logging every 4 steps.
   */
  static String[] train(
      Path dataset, String root, String objective, String run, String total, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "train",
                "--objective",
                objective,
                "--dataset",
                dataset.toString(),
                "--unique-tokens",
                "8Ki",
                "--total-tokens",
                total,
                "--seq-len",
                "64",
                "--global-batch",
                "16",
                "--lr",
                "3e-3",
                "--run",
                run,
                "--set",
                "cluster.world-size=1",
                "--set",
                "train.log-every=4",
                "--set",
                "run.root=" + root));
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }
}
