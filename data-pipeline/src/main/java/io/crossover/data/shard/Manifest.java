package io.crossover.data.shard;

import io.crossover.data.tokenize.SpecialTokens;
import java.util.List;

/**
 * {@code manifest.json} of a dataset written by ingest: how it was tokenised and, per split, every
 * shard with its token count, document count and SHA-256.
 *
 * @param formatVersion the layout version; readers refuse any other
 * @param tokenizer tokenizer id ({@code byte}, or {@code hf:<file>@<sha256 prefix>})
 * @param vocabSize ids are in [0, vocabSize)
 * @param specials EOD, MASK and PAD ids
 * @param batchTokens rows per Arrow record batch in every shard
 * @param source what was ingested
 * @param stats documents read, kept and skipped (with the reason)
 * @param train the training split
 * @param validation the held-out split
 */
public record Manifest(
    int formatVersion,
    String tokenizer,
    int vocabSize,
    SpecialTokens specials,
    int batchTokens,
    Source source,
    IngestStats stats,
    Split train,
    Split validation) {

  /** The only format this code reads and writes. */
  public static final int FORMAT_VERSION = 1;

  /** File name of the manifest inside a dataset directory. */
  public static final String FILE = "manifest.json";

  /**
   * The ingested input.
   *
   * @param path as given by the user
   * @param format text, jsonl or parquet
   * @param files input files read
   */
  public record Source(String path, String format, int files) {}

  /**
   * Document counts of an ingest. Nothing is dropped without being counted here.
   *
   * @param documentsRead documents found in the input
   * @param emptyDocuments skipped: no text, or no tokens
   * @param invalidUtf8Documents skipped: bytes that are not valid UTF-8
   * @param documentsKept written to a split
   */
  public record IngestStats(
      long documentsRead, long emptyDocuments, long invalidUtf8Documents, long documentsKept) {}

  /**
   * One split.
   *
   * @param directory the split's directory relative to the dataset
   * @param tokens tokens in all shards, EODs included
   * @param documents documents in all shards
   * @param shards in order; the split's token stream is their concatenation
   * @param documentIndex file with one int32 per document: its length in tokens, EOD included
   */
  public record Split(
      String directory,
      long tokens,
      long documents,
      List<ShardInfo> shards,
      FileInfo documentIndex) {
    public Split {
      shards = List.copyOf(shards);
    }
  }

  /**
   * One shard.
   *
   * @param file name relative to the split's directory
   * @param tokens rows in the file, EODs included
   * @param documents documents (= EODs) in the file
   * @param sha256 of the whole file
   */
  public record ShardInfo(String file, long tokens, long documents, String sha256) {}

  /**
   * A file other than a shard.
   *
   * @param file name relative to the split's directory
   * @param rows int32 rows in it
   * @param sha256 of the whole file
   */
  public record FileInfo(String file, long rows, String sha256) {}
}
