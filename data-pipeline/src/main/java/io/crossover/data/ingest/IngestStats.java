package io.crossover.data.ingest;

import java.io.Serializable;

/** Counts gathered over all documents in one pass; merged across partitions. */
public final class IngestStats implements Serializable {
  private static final long serialVersionUID = 1L;
  static final int BUCKETS = 1 << 16;

  long read;
  long empty;
  long invalidUtf8;
  long kept;
  long keptTokens;

  /** Stored tokens (EOD included) of kept documents per hash bucket: picks the validation split. */
  long[] bucketTokens = new long[BUCKETS];

  public IngestStats() {}

  void add(IngestDoc doc) {
    read++;
    switch (doc.status) {
      case IngestDoc.EMPTY -> empty++;
      case IngestDoc.INVALID_UTF8 -> invalidUtf8++;
      default -> {
        kept++;
        keptTokens += doc.storedTokens();
        bucketTokens[doc.bucket()] += doc.storedTokens();
      }
    }
  }

  IngestStats merge(IngestStats o) {
    read += o.read;
    empty += o.empty;
    invalidUtf8 += o.invalidUtf8;
    kept += o.kept;
    keptTokens += o.keptTokens;
    for (int i = 0; i < BUCKETS; i++) {
      bucketTokens[i] += o.bucketTokens[i];
    }
    return this;
  }
}
