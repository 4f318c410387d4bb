package io.crossover.data.shard;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Random access to the record batches of a file written by {@link IntColumnWriter}, on any Hadoop
 * filesystem. Every failure names the file.
 */
public final class IntColumnFile implements AutoCloseable {
  private final String name;
  private final BufferAllocator allocator;
  private final ArrowFileReader reader;
  private final FSDataInputStream in;
  private final List<ArrowBlock> blocks;
  private final long rows;
  private final int batchRows;

  private IntColumnFile(
      String name,
      BufferAllocator allocator,
      ArrowFileReader reader,
      FSDataInputStream in,
      long rows,
      int batchRows)
      throws IOException {
    this.name = name;
    this.allocator = allocator;
    this.reader = reader;
    this.in = in;
    this.blocks = reader.getRecordBlocks();
    this.rows = rows;
    this.batchRows = batchRows;
    long expectedBatches = (rows + batchRows - 1) / batchRows;
    if (blocks.size() != expectedBatches) {
      throw new CorruptShardException(
          name,
          "has "
              + blocks.size()
              + " record batches but the manifest's "
              + rows
              + " rows in batches of "
              + batchRows
              + " make "
              + expectedBatches);
    }
  }

  /**
   * Opens a file, checks its SHA-256 first when {@code expectedSha256} is not null, then its
   * schema, format version and batch layout ({@code rows} in batches of {@code batchRows}, from the
   * manifest).
   */
  public static IntColumnFile open(
      FileSystem fs,
      Path path,
      String displayName,
      String expectedSha256,
      long rows,
      int batchRows,
      BufferAllocator parent) {
    if (expectedSha256 != null) {
      String actual = sha256(fs, path, displayName);
      if (!actual.equals(expectedSha256)) {
        throw new CorruptShardException(
            displayName,
            "SHA-256 is "
                + actual
                + " but the manifest says "
                + expectedSha256
                + "; the file is corrupt or was changed after ingest (re-run ingest)");
      }
    }
    BufferAllocator allocator = parent.newChildAllocator(displayName, 0, Long.MAX_VALUE);
    ArrowFileReader reader = null;
    FSDataInputStream in = null;
    try {
      long size = fs.getFileStatus(path).getLen();
      in = fs.open(path);
      reader = new ArrowFileReader(new HadoopSeekableChannel(in, size), allocator);
      List<Field> fields = reader.getVectorSchemaRoot().getSchema().getFields();
      if (fields.size() != 1
          || !(fields.get(0).getType() instanceof ArrowType.Int t)
          || t.getBitWidth() != 32) {
        throw new CorruptShardException(
            displayName, "schema is " + fields + "; expected one int32 column");
      }
      String version =
          reader
              .getVectorSchemaRoot()
              .getSchema()
              .getCustomMetadata()
              .get(IntColumnWriter.FORMAT_KEY);
      if (!String.valueOf(Manifest.FORMAT_VERSION).equals(version)) {
        throw new CorruptShardException(
            displayName,
            "format version is "
                + version
                + "; this Crossover reads version "
                + Manifest.FORMAT_VERSION);
      }
      return new IntColumnFile(displayName, allocator, reader, in, rows, batchRows);
    } catch (IOException | RuntimeException e) {
      closeQuietly(reader);
      closeQuietly(in);
      allocator.close();
      if (e instanceof CorruptShardException c) {
        throw c;
      }
      throw new CorruptShardException(displayName, "not a readable Arrow IPC file (" + e + ")", e);
    }
  }

  /** SHA-256 of a whole file, streamed. */
  public static String sha256(FileSystem fs, Path path, String displayName) {
    try (InputStream in = fs.open(path)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 20];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new CorruptShardException(displayName, "cannot be read (" + e + ")", e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Total rows. */
  public long rows() {
    return rows;
  }

  /** Number of record batches. */
  public int batches() {
    return blocks.size();
  }

  /** First row of a batch. */
  public long batchStart(int batch) {
    return (long) batch * batchRows;
  }

  /** Rows per batch (all but the last batch hold exactly this many). */
  public int batchRows() {
    return batchRows;
  }

  /** Decodes one record batch into a fresh array. */
  public int[] readBatch(int batch) {
    ArrowBlock block = blocks.get(batch);
    // One positioned read of the whole message (metadata + body), parsed in memory: on HDFS a
    // read costs a round trip, and Arrow's own loader would make three of them.
    byte[] bytes = new byte[Math.toIntExact(block.getMetadataLength() + block.getBodyLength())];
    try {
      in.readFully(block.getOffset(), bytes);
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      ArrowBlock inMemory = new ArrowBlock(0, block.getMetadataLength(), block.getBodyLength());
      try (ArrowRecordBatch message =
          MessageSerializer.deserializeRecordBatch(
              new ReadChannel(new ByteArrayReadableSeekableByteChannel(bytes)),
              inMemory,
              allocator)) {
        new VectorLoader(root).load(message);
      }
      IntVector v = (IntVector) root.getVector(0);
      int n = root.getRowCount();
      long expected = Math.min(batchRows, rows - batchStart(batch));
      if (n != expected) {
        throw new CorruptShardException(
            name, "record batch " + batch + " has " + n + " rows; expected " + expected);
      }
      int[] out = new int[n];
      // One bulk copy from the data buffer; the column is non-null by schema.
      v.getDataBuffer().nioBuffer(0, n * 4).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
      return out;
    } catch (CorruptShardException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new CorruptShardException(
          name, "record batch " + batch + " cannot be read (" + e + ")", e);
    }
  }

  /** Reads every row (for small files such as the document index). */
  public int[] readAll() {
    int[] out = new int[Math.toIntExact(rows())];
    for (int b = 0; b < batches(); b++) {
      int[] batch = readBatch(b);
      System.arraycopy(batch, 0, out, (int) batchStart(b), batch.length);
    }
    return out;
  }

  @Override
  public void close() {
    closeQuietly(reader);
    closeQuietly(in);
    allocator.close();
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception ignored) {
        // The allocator's close reports what matters: leaked buffers.
      }
    }
  }
}
