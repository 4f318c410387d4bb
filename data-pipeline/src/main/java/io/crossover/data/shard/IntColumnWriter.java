package io.crossover.data.shard;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Streams int32 values into an Arrow IPC file with one non-null column, in record batches of a
 * fixed number of rows (the last may be shorter), hashing the bytes as they are written.
 */
public final class IntColumnWriter implements AutoCloseable {
  /** Schema metadata key holding the shard format version. */
  public static final String FORMAT_KEY = "crossover.format";

  private final BufferAllocator allocator;
  private final VectorSchemaRoot root;
  private final IntVector vector;
  private final ArrowFileWriter writer;
  private final DigestOutputStream digest;
  private final int batchRows;
  private int pending;
  private long rows;
  private String sha256;

  /** Opens a writer on {@code out}; closing the writer closes {@code out}. */
  public IntColumnWriter(
      OutputStream out, BufferAllocator parent, String column, int batchRows, int formatVersion) {
    this.batchRows = batchRows;
    this.allocator = parent.newChildAllocator("int-column-writer", 0, Long.MAX_VALUE);
    try {
      Field field = new Field(column, FieldType.notNullable(new ArrowType.Int(32, true)), null);
      Schema schema =
          new Schema(List.of(field), Map.of(FORMAT_KEY, Integer.toString(formatVersion)));
      this.root = VectorSchemaRoot.create(schema, allocator);
      this.vector = (IntVector) root.getVector(0);
      vector.allocateNew(batchRows);
      this.digest = new DigestOutputStream(out, MessageDigest.getInstance("SHA-256"));
      this.writer = new ArrowFileWriter(root, null, Channels.newChannel(digest));
      writer.start();
    } catch (IOException | NoSuchAlgorithmException | RuntimeException e) {
      allocator.close();
      throw new IllegalStateException("cannot open Arrow writer: " + e.getMessage(), e);
    }
  }

  /** Appends values[from, from+len). */
  public void write(int[] values, int from, int len) throws IOException {
    int i = from;
    int end = from + len;
    while (i < end) {
      int n = Math.min(end - i, batchRows - pending);
      for (int j = 0; j < n; j++) {
        vector.set(pending + j, values[i + j]);
      }
      pending += n;
      i += n;
      if (pending == batchRows) {
        flush();
      }
    }
  }

  /** Appends one value. */
  public void write(int value) throws IOException {
    vector.set(pending++, value);
    if (pending == batchRows) {
      flush();
    }
  }

  private void flush() throws IOException {
    if (pending == 0) {
      return;
    }
    root.setRowCount(pending);
    writer.writeBatch();
    rows += pending;
    pending = 0;
    vector.allocateNew(batchRows);
  }

  /** Rows written so far, pending ones included. */
  public long rows() {
    return rows + pending;
  }

  /** SHA-256 of the complete file; valid after {@link #close()}. */
  public String sha256() {
    return sha256;
  }

  @Override
  public void close() throws IOException {
    try {
      if (sha256 == null) {
        flush();
        writer.end();
        writer.close();
        sha256 = HexFormat.of().formatHex(digest.getMessageDigest().digest());
      }
    } finally {
      root.close();
      allocator.close();
    }
  }
}
