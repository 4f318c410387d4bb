package io.crossover.data.ingest;

import java.util.Objects;
import org.apache.spark.Partitioner;

/**
 * Sends each document (keyed by its document key) to a writing partition: validation documents
 * (hash bucket at or below the threshold) to the last {@code validationPartitions}, the others to
 * the first {@code trainPartitions}. A pure function of the key, so the shards do not depend on how
 * the input happened to be split (HDFS blocks vs local files).
 */
final class SplitPartitioner extends Partitioner {
  private static final long serialVersionUID = 1L;
  private final int trainPartitions;
  private final int validationPartitions;
  private final int validationMaxBucket;

  SplitPartitioner(int trainPartitions, int validationPartitions, int validationMaxBucket) {
    this.trainPartitions = trainPartitions;
    this.validationPartitions = validationPartitions;
    this.validationMaxBucket = validationMaxBucket;
  }

  static boolean isValidation(long hash, int validationMaxBucket) {
    return (int) (hash >>> 48) <= validationMaxBucket;
  }

  boolean isTrainPartition(int partition) {
    return partition < trainPartitions;
  }

  @Override
  public int numPartitions() {
    return trainPartitions + validationPartitions;
  }

  @Override
  public int getPartition(Object key) {
    long hash = IngestDoc.mix((Long) key);
    int slot = (int) Long.remainderUnsigned(hash & 0xFFFF_FFFFL, 1L << 31);
    return isValidation(hash, validationMaxBucket)
        ? trainPartitions + slot % validationPartitions
        : slot % trainPartitions;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SplitPartitioner p
        && p.trainPartitions == trainPartitions
        && p.validationPartitions == validationPartitions
        && p.validationMaxBucket == validationMaxBucket;
  }

  @Override
  public int hashCode() {
    return Objects.hash(trainPartitions, validationPartitions, validationMaxBucket);
  }
}
