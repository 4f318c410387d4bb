package io.crossover.data.ingest;

import java.io.Serializable;

/**
 * One input document after tokenisation, or the record that it was skipped. A plain class (not a
 * record) so that Kryo can rebuild it.
 */
public final class IngestDoc implements Serializable {
  private static final long serialVersionUID = 1L;
  static final byte KEPT = 0;
  static final byte EMPTY = 1;
  static final byte INVALID_UTF8 = 2;

  /** File index (in sorted path order) in the high bits, the document's ordinal in the low 40. */
  long key;

  /** Mixed from the key: picks the split and the writing partition. */
  long hash;

  byte status;

  /** Token ids without the trailing EOD; null unless kept. */
  int[] tokens;

  public IngestDoc() {}

  IngestDoc(long key, byte status, int[] tokens) {
    this.key = key;
    this.hash = mix(key);
    this.status = status;
    this.tokens = tokens;
  }

  /** Tokens this document occupies in a shard, its EOD included. */
  long storedTokens() {
    return tokens == null ? 0 : tokens.length + 1L;
  }

  /**
   * SplitMix64's finaliser over a fixed salt: the split is a property of the corpus, not of a run.
   */
  static long mix(long key) {
    long z = key + 0x6A09E667F3BCC909L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** The hash bucket (top 16 bits) that orders documents for the validation split. */
  int bucket() {
    return (int) (hash >>> 48);
  }
}
