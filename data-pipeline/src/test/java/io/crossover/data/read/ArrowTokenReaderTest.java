package io.crossover.data.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.data.Failure;
import io.crossover.data.TestDatasets;
import io.crossover.data.config.ReaderConfig;
import io.crossover.data.plan.PlanSpec;
import io.crossover.data.plan.TokenPlan;
import io.crossover.data.shard.CorruptShardException;
import io.crossover.data.shard.Dataset;
import io.crossover.data.shard.Manifest;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArrowTokenReaderTest {
  @TempDir Path dir;

  private RootAllocator allocator;
  private List<int[]> train;
  private Manifest manifest;

  @BeforeEach
  void setUp() throws Exception {
    allocator = new RootAllocator();
    int[] lengths = new int[80];
    for (int i = 0; i < lengths.length; i++) {
      lengths[i] = 20 + (i * 37) % 300;
    }
    train = TestDatasets.documents(lengths, 7);
    // Small shards and batches so that sequences cross batch and shard boundaries.
    manifest = TestDatasets.write(dir, train, 2000, 256);
  }

  @AfterEach
  void noLeaks() {
    assertEquals(0, allocator.getAllocatedMemory(), "Arrow memory left allocated");
    allocator.close();
  }

  private Dataset dataset() {
    return Dataset.open(dir.toString(), new Configuration());
  }

  private TokenPlan plan(Dataset ds, int worldSize) {
    int[] lengths = ds.documentLengths(ds.manifest().train(), allocator);
    return TokenPlan.create(
        ds.manifest(),
        lengths,
        new PlanSpec(64 * 100, 64 * 100 * 3 + 64 * 20, 64, 20, worldSize, 99));
  }

  private static ReaderConfig config(long cacheTokens) {
    return new ReaderConfig(3, cacheTokens, true);
  }

  @Test
  void deliversExactlyThePlannedTokens() {
    assertTrue(manifest.train().shards().size() > 5, "the test needs several shards");
    Dataset ds = dataset();
    TokenPlan plan = plan(ds, 2);
    int[] stream = TestDatasets.stream(train);
    for (long cache : new long[] {0, 1 << 20}) {
      for (int rank = 0; rank < 2; rank++) {
        try (ArrowTokenReader reader =
            new ArrowTokenReader(ds, plan, rank, 0, plan.steps(), config(cache), allocator)) {
          for (long step = 0; step < plan.steps(); step++) {
            StepBatch batch = reader.next();
            assertEquals(step, batch.step());
            int[] seqs = plan.sequences(step, rank);
            assertEquals(seqs.length, batch.tokens().length);
            for (int i = 0; i < seqs.length; i++) {
              assertArrayEquals(
                  expected(plan, stream, seqs[i]), batch.tokens()[i], "step " + step + " seq " + i);
            }
          }
          assertFalse(reader.hasNext());
        }
      }
    }
  }

  /** The sequence cut straight from the in-memory stream, using only the plan's pieces. */
  private static int[] expected(TokenPlan plan, int[] stream, int seq) {
    int[] out = new int[plan.spec().seqLen()];
    int at = 0;
    for (TokenPlan.Piece piece : plan.pieces(seq)) {
      System.arraycopy(stream, (int) piece.offset(), out, at, piece.length());
      at += piece.length();
    }
    return out;
  }

  @Test
  void resumingFromACursorYieldsWhatAnUninterruptedReadWould() {
    Dataset ds = dataset();
    TokenPlan plan = plan(ds, 1);
    List<int[][]> straight = new ArrayList<>();
    try (ArrowTokenReader reader =
        new ArrowTokenReader(ds, plan, 0, 0, plan.steps(), config(0), allocator)) {
      reader.forEachRemaining(b -> straight.add(b.tokens()));
    }
    long stop = plan.steps() / 2 + 1;
    TokenPlan again = plan(dataset(), 1);
    try (ArrowTokenReader reader =
        new ArrowTokenReader(
            dataset(), again, 0, again.cursor(stop).step(), again.steps(), config(0), allocator)) {
      for (long step = stop; step < plan.steps(); step++) {
        StepBatch b = reader.next();
        assertEquals(step, b.step());
        for (int i = 0; i < b.tokens().length; i++) {
          assertArrayEquals(straight.get((int) step)[i], b.tokens()[i]);
        }
      }
      assertFalse(reader.hasNext());
    }
  }

  @Test
  void aCorruptByteFailsWithTheShardsName() throws Exception {
    Manifest.ShardInfo victim = manifest.train().shards().get(0);
    try (RandomAccessFile f =
        new RandomAccessFile(dir.resolve("train").resolve(victim.file()).toFile(), "rw")) {
      f.seek(f.length() / 2);
      int b = f.read();
      f.seek(f.length() / 2);
      f.write(b ^ 0x01);
    }
    Dataset ds = dataset();
    TokenPlan plan = plan(ds, 1);
    try (ArrowTokenReader reader =
        new ArrowTokenReader(ds, plan, 0, 0, plan.steps(), config(0), allocator)) {
      Failure e = assertThrows(Failure.class, () -> reader.forEachRemaining(b -> {}));
      assertTrue(e.getCause() instanceof CorruptShardException, e.toString());
      assertTrue(e.getMessage().contains("rank 0 cannot read step"), e.getMessage());
      assertTrue(
          e.getMessage().contains("train/" + victim.file() + ": SHA-256 is "), e.getMessage());
    }
  }

  @Test
  void aTruncatedShardFailsWithItsNameEvenWithoutChecksums() throws Exception {
    Manifest.ShardInfo victim = manifest.train().shards().get(1);
    Path file = dir.resolve("train").resolve(victim.file());
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(bytes, bytes.length - 100));
    Dataset ds = dataset();
    TokenPlan plan = plan(ds, 1);
    ReaderConfig noVerify = new ReaderConfig(2, 0, false);
    try (ArrowTokenReader reader =
        new ArrowTokenReader(ds, plan, 0, 0, plan.steps(), noVerify, allocator)) {
      Failure e = assertThrows(Failure.class, () -> reader.forEachRemaining(b -> {}));
      assertTrue(
          e.getMessage().contains("train/" + victim.file() + ": not a readable Arrow IPC file"),
          e.getMessage());
    }
  }

  @Test
  void aTokenIdOutsideTheVocabularyNamesTheShardTheIdAndTheVocabulary() throws Exception {
    // Shards that do not match their manifest (here: ids a byte tokenizer never makes), read
    // without checksums: the reader must say so before libtorch sees the id.
    List<int[]> bad = new ArrayList<>();
    for (int[] doc : train) {
      int[] copy = doc.clone();
      copy[copy.length / 2] = 300;
      bad.add(copy);
    }
    Path other = dir.resolve("other");
    TestDatasets.write(other, bad, 2000, 256);
    Dataset ds = Dataset.open(other.toString(), new Configuration());
    TokenPlan plan = plan(ds, 1);
    try (ArrowTokenReader reader =
        new ArrowTokenReader(
            ds, plan, 0, 0, plan.steps(), new ReaderConfig(2, 0, false), allocator)) {
      // Damaged data: a failure while working, not a user's mistake.
      Failure e = assertThrows(Failure.class, () -> reader.forEachRemaining(b -> {}));
      assertTrue(e.getMessage().startsWith("rank 0 cannot read step "), e.getMessage());
      assertTrue(
          e.getMessage()
              .matches(".*: train/shard-\\d{5}\\.arrow: holds token id 300 \\(record batch .*"),
          e.getMessage());
      assertTrue(
          e.getMessage().contains("outside the vocabulary of 259 ids of tokenizer byte"),
          e.getMessage());
    }
  }

  @Test
  void aManifestOfAnotherFormatVersionIsRefused() throws Exception {
    Path file = dir.resolve("manifest.json");
    String json =
        Files.readString(file).replace("\"format-version\" : 1", "\"format-version\" : 2");
    Files.writeString(file, json, StandardCharsets.UTF_8);
    CorruptShardException e = assertThrows(CorruptShardException.class, this::dataset);
    assertTrue(
        e.getMessage()
            .endsWith(
                "manifest.json: format version is 2; this Crossover reads version 1"
                    + " (re-run crossover ingest with this version)"),
        e.getMessage());
  }

  @Test
  void aMissingDatasetSaysToRunIngest() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Dataset.open(dir.resolve("nope").toString(), new Configuration()));
    assertTrue(e.getMessage().startsWith("data.dataset: no manifest.json in "), e.getMessage());
    assertTrue(e.getMessage().endsWith("run `crossover ingest` first"), e.getMessage());
  }

  @Test
  void closingEarlyStopsTheReadAheadAndFreesEverything() {
    Dataset ds = dataset();
    TokenPlan plan = plan(ds, 1);
    ArrowTokenReader reader =
        new ArrowTokenReader(ds, plan, 0, 0, plan.steps(), config(1 << 20), allocator);
    reader.next();
    reader.close();
    // noLeaks() checks the allocator after the test.
  }
}
