package io.crossover.data.shard;

import java.io.Serializable;

/**
 * What a shard writer (an ingest task) reports for each shard it wrote under the temporary
 * directory.
 */
public final class WrittenShard implements Serializable {
  private static final long serialVersionUID = 1L;
  public int partition;
  public int sequence;
  public String split;
  public String file;
  public long tokens;
  public String sha256;
  public int[] documentLengths;

  public WrittenShard() {}

  WrittenShard(
      int partition,
      int sequence,
      String split,
      String file,
      long tokens,
      String sha256,
      int[] documentLengths) {
    this.partition = partition;
    this.sequence = sequence;
    this.split = split;
    this.file = file;
    this.tokens = tokens;
    this.sha256 = sha256;
    this.documentLengths = documentLengths;
  }
}
