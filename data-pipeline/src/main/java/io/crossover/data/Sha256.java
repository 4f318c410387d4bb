package io.crossover.data;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** SHA-256 digests as lower-case hex: of bytes, of a stream, of a file on any filesystem. */
public final class Sha256 {
  private Sha256() {}

  /** A fresh digest (every JVM has SHA-256). */
  public static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(digest().digest(bytes));
  }

  /** Reads the stream to its end. */
  public static String hex(InputStream in) throws IOException {
    MessageDigest md = digest();
    byte[] buffer = new byte[1 << 16];
    for (int n; (n = in.read(buffer)) > 0; ) {
      md.update(buffer, 0, n);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  public static String hex(FileSystem fs, Path file) throws IOException {
    try (InputStream in = fs.open(file)) {
      return hex(in);
    }
  }
}
