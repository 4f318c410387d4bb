package io.crossover.data.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import io.crossover.data.config.DataConfig;
import io.crossover.data.config.DataConfig.InputConfig;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * The documents of one input file, as raw UTF-8 bytes (not yet checked), in file order. Malformed
 * structure (a JSONL line that is not JSON, a missing field or column) is an error naming the file
 * and line; bad text inside a well-formed document is the caller's to count.
 */
final class RawDocuments {
  private RawDocuments() {}

  /** Calls {@code sink} once per document of {@code file}. */
  static void read(
      Path file, String display, InputConfig input, Configuration conf, Consumer<byte[]> sink)
      throws IOException {
    switch (input.format()) {
      case TEXT -> {
        try (InputStream in = open(file, conf)) {
          if (input.textUnit() == DataConfig.TextUnit.FILE) {
            sink.accept(in.readAllBytes());
          } else {
            lines(in, line -> sink.accept(line));
          }
        }
      }
      case JSONL -> {
        try (InputStream in = open(file, conf)) {
          long[] lineNo = {0};
          lines(
              in,
              line -> {
                lineNo[0]++;
                if (isBlank(line)) {
                  return;
                }
                sink.accept(jsonField(line, input.textField(), display, lineNo[0]));
              });
        }
      }
      case PARQUET -> readParquet(file, display, input.textField(), conf, sink);
    }
  }

  private static InputStream open(Path file, Configuration conf) throws IOException {
    FileSystem fs = file.getFileSystem(conf);
    InputStream raw = fs.open(file);
    CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(file);
    return new BufferedInputStream(codec == null ? raw : codec.createInputStream(raw), 1 << 16);
  }

  /** Splits on '\n' (a trailing '\r' is dropped) without decoding, so bad bytes stay visible. */
  private static void lines(InputStream in, Consumer<byte[]> sink) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    int b;
    boolean any = false;
    while ((b = in.read()) >= 0) {
      any = true;
      if (b == '\n') {
        sink.accept(stripCr(line.toByteArray()));
        line.reset();
        any = false;
      } else {
        line.write(b);
      }
    }
    if (any) {
      sink.accept(stripCr(line.toByteArray()));
    }
  }

  private static byte[] stripCr(byte[] line) {
    return line.length > 0 && line[line.length - 1] == '\r'
        ? Arrays.copyOf(line, line.length - 1)
        : line;
  }

  private static boolean isBlank(byte[] line) {
    for (byte b : line) {
      if (b != ' ' && b != '\t') {
        return false;
      }
    }
    return true;
  }

  private static byte[] jsonField(byte[] line, String field, String display, long lineNo) {
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(line);
    } catch (IOException e) {
      // Bytes that are not UTF-8 inside a JSON string surface here too: pass them on to be
      // counted as invalid UTF-8 rather than failing the whole ingest.
      if (!Utf8.isValid(line)) {
        return line;
      }
      throw new InputException(
          display
              + " line "
              + lineNo
              + ": not valid JSON ("
              + e.getMessage().lines().findFirst().orElse("")
              + ")",
          e);
    }
    JsonNode text = node.get(field);
    if (text == null || !(text.isTextual() || text.isNull())) {
      List<String> fields = new ArrayList<>();
      node.fieldNames().forEachRemaining(fields::add);
      throw new InputException(
          display
              + " line "
              + lineNo
              + ": no text field '"
              + field
              + "' (fields: "
              + String.join(", ", fields)
              + "); set data.input.text-field");
    }
    return text.isNull() ? new byte[0] : text.asText().getBytes(StandardCharsets.UTF_8);
  }

  private static void readParquet(
      Path file, String display, String column, Configuration conf, Consumer<byte[]> sink)
      throws IOException {
    try (ParquetReader<Group> reader =
        ParquetReader.builder(new GroupReadSupport(), file).withConf(conf).build()) {
      for (Group row; (row = reader.read()) != null; ) {
        if (!row.getType().containsField(column)) {
          List<String> fields = new ArrayList<>();
          row.getType().getFields().forEach(f -> fields.add(f.getName()));
          throw new InputException(
              display
                  + ": no column '"
                  + column
                  + "' (columns: "
                  + String.join(", ", fields)
                  + "); set data.input.text-field");
        }
        int idx = row.getType().getFieldIndex(column);
        Type type = row.getType().getType(idx);
        if (!type.isPrimitive()
            || type.asPrimitiveType().getPrimitiveTypeName()
                != PrimitiveType.PrimitiveTypeName.BINARY) {
          throw new InputException(
              display
                  + ": column '"
                  + column
                  + "' is "
                  + describe(type)
                  + ", not a string; set data.input.text-field to a string column"
                  + stringColumns(row.getType()));
        }
        sink.accept(
            row.getFieldRepetitionCount(idx) == 0 ? new byte[0] : row.getBinary(idx, 0).getBytes());
      }
    }
  }

  private static String describe(Type type) {
    if (!type.isPrimitive()) {
      return "a group (" + type.asGroupType().getFieldCount() + " fields)";
    }
    PrimitiveType p = type.asPrimitiveType();
    return p.getLogicalTypeAnnotation() == null
        ? p.getPrimitiveTypeName().name()
        : p.getPrimitiveTypeName() + " (" + p.getLogicalTypeAnnotation() + ")";
  }

  private static String stringColumns(GroupType schema) {
    List<String> names = new ArrayList<>();
    for (Type f : schema.getFields()) {
      if (f.isPrimitive()
          && f.asPrimitiveType().getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.BINARY) {
        names.add(f.getName());
      }
    }
    return names.isEmpty()
        ? " (this file has none)"
        : " (string columns: " + String.join(", ", names) + ")";
  }
}
