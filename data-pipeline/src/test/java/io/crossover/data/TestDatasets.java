package io.crossover.data;

import io.crossover.data.shard.DatasetWriter;
import io.crossover.data.shard.Filesystems;
import io.crossover.data.shard.Manifest;
import io.crossover.data.tokenize.ByteTokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Small byte-token datasets with known content, written through the real shard writer. */
public final class TestDatasets {
  private TestDatasets() {}

  /** Documents of the given lengths (without EOD), filled with seeded bytes. */
  public static List<int[]> documents(int[] lengths, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<int[]> docs = new ArrayList<>();
    for (int length : lengths) {
      int[] doc = new int[length];
      for (int i = 0; i < length; i++) {
        doc[i] = random.nextInt(256);
      }
      docs.add(doc);
    }
    return docs;
  }

  /** Writes train documents (and one validation document) to {@code dir} on the local FS. */
  public static Manifest write(
      java.nio.file.Path dir, List<int[]> train, long shardTokens, int batchTokens)
      throws IOException {
    FileSystem fs = Filesystems.raw(FileSystem.getLocal(new Configuration()));
    return DatasetWriter.write(
        fs,
        new Path(dir.toUri()),
        train,
        List.of(new int[] {1, 2, 3}),
        new ByteTokenizer(),
        new Manifest.Source("test", "tokens", 0),
        shardTokens,
        batchTokens);
  }

  /** The training split as one stream: each document followed by EOD. */
  public static int[] stream(List<int[]> train) {
    int total = 0;
    for (int[] d : train) {
      total += d.length + 1;
    }
    int[] out = new int[total];
    int at = 0;
    for (int[] d : train) {
      System.arraycopy(d, 0, out, at, d.length);
      at += d.length;
      out[at++] = ByteTokenizer.EOD;
    }
    return out;
  }
}
