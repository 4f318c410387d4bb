package io.crossover.it;

import java.io.File;
import java.nio.file.Files;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/** A real one-datanode HDFS in this JVM, in a fresh directory under target/. */
final class MiniHdfs implements AutoCloseable {
  final MiniDFSCluster cluster;
  final FileSystem fs;

  MiniHdfs() throws Exception {
    this(new Configuration());
  }

  /** With {@code conf}: the cluster's own client, which the JVM then shares, is made with it. */
  MiniHdfs(Configuration conf) throws Exception {
    File base =
        Files.createTempDirectory(new File("target").toPath().toAbsolutePath(), "minidfs").toFile();
    cluster = new MiniDFSCluster.Builder(conf, base).numDataNodes(1).build();
    cluster.waitActive();
    fs = cluster.getFileSystem();
  }

  /** An absolute hdfs:// URI for a path on this cluster. */
  String uri(String path) {
    return fs.getUri() + path;
  }

  @Override
  public void close() {
    cluster.shutdown(true);
  }
}
