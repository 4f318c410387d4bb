package io.crossover.data.tokenize;

import io.crossover.data.Sha256;
import io.crossover.data.UserException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What a task needs to open a tokenizer: the kind, and for {@code hf:} the bytes of the
 * tokenizer.json (read once on the driver from any Hadoop filesystem, shipped with the task).
 */
public final class TokenizerSpec implements Serializable {
  private static final long serialVersionUID = 1L;
  private final String name;
  private final byte[] json;
  private final String sha256;

  private TokenizerSpec(String name, byte[] json) {
    this.name = name;
    this.json = json;
    this.sha256 = json == null ? null : sha256(json);
  }

  /** Resolves {@code byte} or {@code hf:<path>} (any Hadoop filesystem URI or local path). */
  public static TokenizerSpec resolve(String spec, Configuration hadoop) {
    if (spec.equals("byte")) {
      return new TokenizerSpec("byte", null);
    }
    if (!spec.startsWith("hf:")) {
      throw new UserException(
          "data.tokenizer: \""
              + spec
              + "\" is not allowed; use byte or hf:<path to tokenizer.json>");
    }
    Path path = new Path(spec.substring(3));
    try {
      FileSystem fs = path.getFileSystem(hadoop);
      if (fs.getFileStatus(path).isDirectory()) {
        Path inside = new Path(path, "tokenizer.json");
        throw new UserException(
            "data.tokenizer: "
                + path
                + " is a directory; give the tokenizer file"
                + (fs.exists(inside) ? ", e.g. hf:" + inside : " (tokenizer.json)"));
      }
      byte[] bytes;
      try (InputStream in = fs.open(path)) {
        bytes = in.readAllBytes();
      }
      if (bytes.length == 0 || (bytes[0] != '{' && !Character.isWhitespace(bytes[0]))) {
        throw new UserException(
            "data.tokenizer: "
                + path
                + (bytes.length == 0 ? " is empty" : " is not JSON (a binary file?)")
                + "; give a HuggingFace tokenizer.json");
      }
      return new TokenizerSpec(path.getName(), bytes);
    } catch (FileNotFoundException e) {
      throw new UserException("data.tokenizer: tokenizer file " + path + " does not exist", e);
    } catch (IOException e) {
      throw new UncheckedIOException("data.tokenizer: cannot read " + path, e);
    }
  }

  /** The tokenizer.json bytes, or null for the byte tokenizer. */
  public byte[] json() {
    return json == null ? null : json.clone();
  }

  /** Opens a tokenizer; the caller closes it. */
  public Tokenizer open() {
    return json == null ? new ByteTokenizer() : new HfTokenizer(name, sha256, json);
  }

  private static String sha256(byte[] bytes) {
    return Sha256.hex(bytes);
  }
}
