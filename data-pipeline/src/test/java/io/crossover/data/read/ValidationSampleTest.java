package io.crossover.data.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.data.TestDatasets;
import io.crossover.data.config.ReaderConfig;
import io.crossover.data.shard.Dataset;
import io.crossover.data.shard.DatasetWriter;
import io.crossover.data.shard.Filesystems;
import io.crossover.data.shard.Manifest;
import io.crossover.data.tokenize.ByteTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Validation sequences come from the whole split, each document giving its share, each sequence the
 * true tokens at its place and knowing its document; the seed fixes them.
 */
class ValidationSampleTest {
  @TempDir Path dir;

  @Test
  void sequencesSpreadOverEveryDocumentInProportionAndAreTheTrueTokens() throws Exception {
    // 20 held-out documents: 10 of 400 tokens, 10 of 1,200.
    int[] lengths = new int[20];
    for (int d = 0; d < 20; d++) {
      lengths[d] = d < 10 ? 400 : 1200;
    }
    List<int[]> validation = TestDatasets.documents(lengths, 3);
    FileSystem fs = Filesystems.raw(FileSystem.getLocal(new Configuration()));
    DatasetWriter.write(
        fs,
        new org.apache.hadoop.fs.Path(dir.toUri()),
        TestDatasets.documents(new int[] {5000}, 1),
        validation,
        new ByteTokenizer(),
        new Manifest.Source("test", "tokens", 0),
        4096,
        512);
    Dataset ds = Dataset.open(dir.toString(), new Configuration());
    ReaderConfig reader = new ReaderConfig(2, 0, true);
    ValidationSample a;
    ValidationSample b;
    ValidationSample other;
    try (RootAllocator allocator = new RootAllocator()) {
      a = ValidationSample.draw(ds, ds.manifest().validation(), 40, 64, 7, reader, allocator);
      b = ValidationSample.draw(ds, ds.manifest().validation(), 40, 64, 7, reader, allocator);
      other = ValidationSample.draw(ds, ds.manifest().validation(), 40, 64, 8, reader, allocator);
    }
    assertEquals(40, a.size());
    int[] perDoc = new int[20];
    for (int d : a.docs()) {
      perDoc[d]++;
    }
    // 16,000 tokens: a short document's share is exactly 1, a long one's 3.
    for (int d = 0; d < 20; d++) {
      assertEquals(d < 10 ? 1 : 3, perDoc[d], "document " + d);
    }
    int[] stream = TestDatasets.stream(validation);
    List<Integer> starts = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      int at = find(stream, a.sequences()[i]);
      assertTrue(at >= 0, "sequence " + i + " is the split's tokens");
      starts.add(at);
      int docStart = 0;
      for (int d = 0; d < a.docs()[i]; d++) {
        docStart += lengths[d] + 1;
      }
      assertTrue(at >= docStart && at < docStart + lengths[a.docs()[i]] + 1, "in its document");
    }
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(a.sequences()[i], b.sequences()[i], "the seed fixes the sample");
    }
    boolean differs = false;
    for (int i = 0; i < a.size(); i++) {
      differs |= !Arrays.equals(a.sequences()[i], other.sequences()[i]);
    }
    assertTrue(differs, "another seed, other positions");
    assertFalse(starts.stream().allMatch(s -> s < 16_000 / 4), "not only the start of the split");
  }

  private static int find(int[] stream, int[] seq) {
    outer:
    for (int i = 0; i + seq.length <= stream.length; i++) {
      for (int j = 0; j < seq.length; j++) {
        if (stream[i + j] != seq[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void aSequenceBelongsToTheDocumentHoldingMostOfItsTokens() {
    long[] starts = {0, 10, 20};
    int[] lengths = {10, 10, 100};
    assertEquals(1, ValidationSample.owner(5, 20, starts, lengths), "5, 10 and 5 tokens");
    assertEquals(2, ValidationSample.owner(15, 20, starts, lengths), "5 and 15 tokens");
    assertEquals(0, ValidationSample.owner(0, 8, starts, lengths));
  }
}
