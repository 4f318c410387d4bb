package io.crossover.data.ingest;

import io.crossover.data.UserException;
import io.crossover.data.config.DataConfig;
import io.crossover.data.shard.Filesystems;
import io.crossover.data.tokenize.TokenizerSpec;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * What ingest will read and write, checked before any Spark work: the output must not exist (unless
 * overwriting), the input must hold files, the tokenizer must load.
 *
 * @param output the qualified dataset directory
 * @param input the qualified input path
 * @param files input files in sorted order: a document's key is (index here, ordinal in file)
 * @param tokenizer the tokenizer, ready to ship to tasks
 */
public record IngestInputs(Path output, Path input, List<String> files, TokenizerSpec tokenizer) {

  /** Checks the config against the filesystems; throws naming the key at fault. */
  public static IngestInputs check(DataConfig data, boolean overwrite, Configuration conf) {
    try {
      Path output = qualify(new Path(data.dataset()), conf);
      if (Filesystems.of(output, conf).exists(output) && !overwrite) {
        throw new UserException(
            "data.dataset: " + output + " already exists; pass --overwrite to replace it");
      }
      if (data.input().path().isEmpty()) {
        throw new UserException(
            "data.input.path: no input given; pass --input or --set data.input.path=<dir or file>");
      }
      Path input = qualify(new Path(data.input().path()), conf);
      List<String> files = list(input, conf);
      TokenizerSpec tokenizer = TokenizerSpec.resolve(data.tokenizer(), conf);
      tokenizer.open().close();
      return new IngestInputs(output, input, List.copyOf(files), tokenizer);
    } catch (IOException e) {
      throw new UncheckedIOException("ingest: " + e.getMessage(), e);
    }
  }

  private static Path qualify(Path p, Configuration conf) throws IOException {
    return p.getFileSystem(conf).makeQualified(p);
  }

  private static List<String> list(Path input, Configuration conf) throws IOException {
    FileSystem fs = input.getFileSystem(conf);
    FileStatus status;
    try {
      status = fs.getFileStatus(input);
    } catch (FileNotFoundException e) {
      throw new UserException("data.input.path: " + input + " does not exist", e);
    }
    List<String> files = new ArrayList<>();
    if (status.isFile()) {
      files.add(status.getPath().toString());
    } else {
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(input, true);
      while (it.hasNext()) {
        LocatedFileStatus f = it.next();
        String relative = f.getPath().toString().substring(status.getPath().toString().length());
        if (!hidden(relative) && f.getLen() > 0) {
          files.add(f.getPath().toString());
        }
      }
    }
    files.sort(Comparator.naturalOrder());
    if (files.isEmpty()) {
      throw new UserException(
          "data.input.path: "
              + input
              + " contains no input files (names starting with _ or . are skipped)");
    }
    return files;
  }

  /** Spark's and Hadoop's markers (_SUCCESS, .crc, _temporary/) are not documents. */
  private static boolean hidden(String relativePath) {
    for (String part : relativePath.split("/")) {
      if (part.startsWith("_") || part.startsWith(".")) {
        return true;
      }
    }
    return false;
  }
}
