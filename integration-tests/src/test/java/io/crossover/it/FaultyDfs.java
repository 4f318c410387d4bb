package io.crossover.it;

import java.io.IOException;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.util.Progressable;

/**
 * HDFS with a hook at the moment a fault must strike: the client is the real one, and what the
 * hooks do to the cluster (stop a DataNode) is real too. Installed for hdfs:// by {@link #install}
 * in the JVM that calls it; with no hook set it is HDFS as it is.
 */
public class FaultyDfs extends DistributedFileSystem {
  /** Runs before each file is created, with its path. */
  static volatile Consumer<Path> beforeCreate = p -> {};

  /** Renames whose source matches fail, as a NameNode refusing them would (false). */
  static volatile Predicate<Path> failRename = p -> false;

  /** Makes every hdfs:// filesystem opened from now on in this JVM a FaultyDfs. */
  static void install() {
    Configuration.addDefaultResource("faulty-hdfs.xml");
  }

  static void reset() {
    beforeCreate = p -> {};
    failRename = p -> false;
  }

  @Override
  public FSDataOutputStream create(
      Path f,
      FsPermission permission,
      boolean overwrite,
      int bufferSize,
      short replication,
      long blockSize,
      Progressable progress)
      throws IOException {
    beforeCreate.accept(f);
    return super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
  }

  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    return !failRename.test(src) && super.rename(src, dst);
  }
}
