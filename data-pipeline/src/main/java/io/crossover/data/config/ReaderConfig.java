package io.crossover.data.config;

import java.io.Serializable;

/**
 * How a rank reads its batches.
 *
 * @param readAhead steps prepared ahead of the consumer on a background thread
 * @param cacheTokens decoded record batches kept in memory (LRU), in tokens
 * @param verifyChecksums check each shard's SHA-256 against the manifest on first open
 */
public record ReaderConfig(int readAhead, long cacheTokens, boolean verifyChecksums)
    implements Serializable {

  static ReaderConfig from(Keys k) {
    return new ReaderConfig(
        k.integer("reader.read-ahead", 1, 1024),
        k.count("reader.cache-tokens", 0, 1L << 36),
        k.bool("reader.verify-checksums"));
  }
}
