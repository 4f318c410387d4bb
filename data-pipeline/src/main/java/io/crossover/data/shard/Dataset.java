package io.crossover.data.shard;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import io.crossover.data.Sha256;
import io.crossover.data.UserException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A dataset directory written by ingest, on any Hadoop filesystem:
 *
 * <pre>
 *   manifest.json
 *   train/shard-00000.arrow ...   train/documents.arrow
 *   validation/shard-00000.arrow  validation/documents.arrow
 * </pre>
 */
public final class Dataset {
  private final FileSystem fs;
  private final Path root;
  private final Manifest manifest;
  private final String manifestSha256;

  private Dataset(FileSystem fs, Path root, Manifest manifest, String manifestSha256) {
    this.fs = fs;
    this.root = root;
    this.manifest = manifest;
    this.manifestSha256 = manifestSha256;
  }

  /** Opens a dataset and checks its manifest's format version. */
  public static Dataset open(String dir, Configuration conf) {
    Path root = new Path(dir);
    Path file = new Path(root, Manifest.FILE);
    String display = file.toString();
    try {
      FileSystem fs = Filesystems.of(root, conf);
      byte[] bytes;
      try (InputStream in = fs.open(file)) {
        bytes = in.readAllBytes();
      }
      JsonNode tree = Json.MAPPER.readTree(bytes);
      int version = tree.path("format-version").asInt(-1);
      if (version != Manifest.FORMAT_VERSION) {
        throw new CorruptShardException(
            display,
            "format version is "
                + (version < 0 ? "missing" : version)
                + "; this Crossover reads version "
                + Manifest.FORMAT_VERSION
                + " (re-run crossover ingest with this version)");
      }
      Manifest manifest =
          Json.MAPPER
              .copy()
              .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
              .treeToValue(tree, Manifest.class);
      return new Dataset(fs, fs.makeQualified(root), manifest, Sha256.hex(bytes));
    } catch (FileNotFoundException e) {
      throw new UserException(
          "data.dataset: no " + Manifest.FILE + " in " + dir + "; run `crossover ingest` first", e);
    } catch (CorruptShardException e) {
      throw e;
    } catch (IOException e) {
      throw new CorruptShardException(
          display, "is not a valid manifest (" + e.getMessage() + ")", e);
    }
  }

  /** Writes {@code manifest.json} into {@code dir}. */
  public static void writeManifest(FileSystem fs, Path dir, Manifest manifest) throws IOException {
    try (OutputStream out = fs.create(new Path(dir, Manifest.FILE), true)) {
      out.write(Json.write(manifest).getBytes(StandardCharsets.UTF_8));
    }
  }

  public Manifest manifest() {
    return manifest;
  }

  /**
   * SHA-256 of {@code manifest.json}: it lists every shard's SHA-256, so it stands for the whole
   * dataset (a run records it, and refuses to resume on another dataset).
   */
  public String manifestSha256() {
    return manifestSha256;
  }

  public FileSystem fs() {
    return fs;
  }

  public Path root() {
    return root;
  }

  /** Path of a file of a split. */
  public Path path(Manifest.Split split, String file) {
    return new Path(new Path(root, split.directory()), file);
  }

  /** Name used in messages: the split directory and file, e.g. {@code train/shard-00003.arrow}. */
  public static String displayName(Manifest.Split split, String file) {
    return split.directory() + "/" + file;
  }

  /** Opens one shard; verifies its checksum first if asked. */
  public IntColumnFile openShard(
      Manifest.Split split, int shard, boolean verify, BufferAllocator allocator) {
    Manifest.ShardInfo info = split.shards().get(shard);
    return IntColumnFile.open(
        fs,
        path(split, info.file()),
        displayName(split, info.file()),
        verify ? info.sha256() : null,
        info.tokens(),
        manifest.batchTokens(),
        allocator);
  }

  /** Document lengths of a split, in stream order (always checksum-verified: it is small). */
  public int[] documentLengths(Manifest.Split split, BufferAllocator allocator) {
    Manifest.FileInfo info = split.documentIndex();
    try (IntColumnFile f =
        IntColumnFile.open(
            fs,
            path(split, info.file()),
            displayName(split, info.file()),
            info.sha256(),
            info.rows(),
            manifest.batchTokens(),
            allocator)) {
      int[] lengths = f.readAll();
      long sum = 0;
      for (int l : lengths) {
        sum += l;
      }
      if (lengths.length != split.documents() || sum != split.tokens()) {
        throw new CorruptShardException(
            displayName(split, info.file()),
            "lists "
                + lengths.length
                + " documents of "
                + sum
                + " tokens; the manifest says "
                + split.documents()
                + " and "
                + split.tokens());
      }
      return lengths;
    }
  }
}
