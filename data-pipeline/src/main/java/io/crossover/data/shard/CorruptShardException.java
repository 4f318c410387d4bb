package io.crossover.data.shard;

import io.crossover.data.Failure;

/** A dataset file that does not match its manifest or cannot be parsed. Names the file. */
public final class CorruptShardException extends Failure {
  private static final long serialVersionUID = 1L;

  public CorruptShardException(String file, String why) {
    super(file + ": " + why);
  }

  public CorruptShardException(String file, String why, Throwable cause) {
    super(file + ": " + why, cause);
  }
}
