package io.crossover.data.shard;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Filesystem access for dataset and run files. */
public final class Filesystems {
  private Filesystems() {}

  /**
   * The filesystem of {@code path}. On the local filesystem this is the raw one: every dataset file
   * has a SHA-256 in its manifest, so Hadoop's {@code .crc} side files would only add clutter and a
   * second, less helpful error for the same corruption.
   */
  public static FileSystem of(Path path, Configuration conf) throws IOException {
    return raw(path.getFileSystem(conf));
  }

  /** Unwraps a checksumming (local) filesystem; others are returned as they are. */
  public static FileSystem raw(FileSystem fs) {
    return fs instanceof ChecksumFileSystem c ? c.getRawFileSystem() : fs;
  }
}
