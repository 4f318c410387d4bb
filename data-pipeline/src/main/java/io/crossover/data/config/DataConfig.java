package io.crossover.data.config;

import java.io.Serializable;

/**
 * The corpus and its tokenised form.
 *
 * @param dataset directory (any Hadoop filesystem URI or a local path) that {@code ingest} writes
 *     and {@code plan}/{@code train} read
 * @param tokenizer {@code byte} or {@code hf:<path to tokenizer.json>}
 * @param input the raw documents that {@code ingest} reads
 * @param shardTokens tokens per shard; documents are never split, so a shard can exceed this only
 *     by holding a single longer document
 * @param batchTokens rows per Arrow record batch inside a shard: the unit of a random read
 * @param validation the held-out split, chosen by document
 * @param ingestPartitions Spark partitions that write shards; 0 derives it from the corpus size
 * @param clozeItems items of the cloze task that ingest builds from the validation split into
 *     {@code <dataset>/cloze.jsonl} (0: none)
 * @param clozeSeed the seed of that task (which windows, which member gives the context)
 */
public record DataConfig(
    String dataset,
    String tokenizer,
    InputConfig input,
    long shardTokens,
    int batchTokens,
    ValidationConfig validation,
    int ingestPartitions,
    int clozeItems,
    long clozeSeed)
    implements Serializable {

  /** Where ingest writes the cloze task built from the validation split. */
  public static final String CLOZE_FILE = "cloze.jsonl";

  static DataConfig from(Keys k) {
    String tokenizer = k.nonEmpty("data.tokenizer", "use byte or hf:<path to tokenizer.json>");
    if (!tokenizer.equals("byte") && !(tokenizer.startsWith("hf:") && tokenizer.length() > 3)) {
      throw new ConfigException(
          "data.tokenizer",
          "value \"" + tokenizer + "\" is not allowed; use byte or hf:<path to tokenizer.json>");
    }
    long shardTokens = k.count("data.shard-tokens", 1024, Integer.MAX_VALUE);
    int batchTokens = k.integer("data.batch-tokens", 256, 1 << 24);
    if (batchTokens > shardTokens) {
      throw new ConfigException(
          "data.batch-tokens",
          "value "
              + batchTokens
              + " is larger than data.shard-tokens="
              + shardTokens
              + "; a record batch must fit in a shard");
    }
    return new DataConfig(
        k.nonEmpty("data.dataset", "give the dataset directory, e.g. hdfs:///corpora/brown"),
        tokenizer,
        InputConfig.from(k),
        shardTokens,
        batchTokens,
        ValidationConfig.from(k),
        k.integer("data.ingest-partitions", 0, 100_000),
        k.integer("data.cloze-items", 0, 1_000_000),
        k.number("data.cloze-seed", Long.MIN_VALUE, Long.MAX_VALUE));
  }

  /** Input formats understood by {@code ingest}. */
  public enum InputFormat {
    TEXT,
    JSONL,
    PARQUET
  }

  /** What one document is in a plain-text input. */
  public enum TextUnit {
    FILE,
    LINE
  }

  /**
   * Raw documents.
   *
   * @param path a file or directory on any Hadoop filesystem; gzip/bzip2 files are decompressed
   * @param format text, jsonl or parquet
   * @param textField the JSONL field or Parquet column that holds a document's text
   * @param textUnit for text input: one document per file or per line
   */
  public record InputConfig(String path, InputFormat format, String textField, TextUnit textUnit)
      implements Serializable {
    static InputConfig from(Keys k) {
      return new InputConfig(
          k.string("data.input.path").trim(),
          k.choice("data.input.format", InputFormat.class),
          k.nonEmpty("data.input.text-field", "name the JSONL field or Parquet column, e.g. text"),
          k.choice("data.input.text-unit", TextUnit.class));
    }
  }

  /**
   * The held-out validation split, carved off by document. Exactly one of the two is non-zero.
   *
   * @param fraction share of the corpus's tokens to hold out
   * @param tokens number of tokens to hold out (at least; whole documents are moved)
   */
  public record ValidationConfig(double fraction, long tokens) implements Serializable {
    static ValidationConfig from(Keys k) {
      double fraction = k.fraction("data.validation.fraction", 0.0, 0.5);
      long tokens = k.count("data.validation.tokens", 0, Long.MAX_VALUE / 4);
      if (fraction > 0 && tokens > 0) {
        throw new ConfigException(
            "data.validation.tokens",
            "value "
                + tokens
                + " conflicts with data.validation.fraction="
                + fraction
                + "; set one of them to 0");
      }
      return new ValidationConfig(fraction, tokens);
    }
  }
}
