package io.crossover.executor.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range, then the raw little-endian data), for float32 tensors. Readable by
 * the {@code safetensors} library and everything built on it.
 */
public final class SafeTensors {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SafeTensors() {}

  /**
   * A float32 tensor.
   *
   * @param shape dimensions, row-major
   * @param data the values
   */
  public record Tensor(long[] shape, float[] data) {
    public Tensor {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      if (n != data.length) {
        throw new IllegalArgumentException("shape holds " + n + " values, data " + data.length);
      }
    }
  }

  /** Writes tensors (in map order) and string metadata. Does not close {@code out}. */
  public static void write(
      OutputStream out, Map<String, Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    ObjectNode header = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      ObjectNode t = header.putObject(e.getKey());
      t.put("dtype", "F32");
      var shape = t.putArray("shape");
      for (long d : e.getValue().shape()) {
        shape.add(d);
      }
      long bytes = 4L * e.getValue().data().length;
      t.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] json = JSON.writeValueAsBytes(header);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
    out.write(prefix.array());
    out.write(json);
    for (int i = json.length; i < padded; i++) {
      out.write(' ');
    }
    ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    for (Tensor t : tensors.values()) {
      for (float v : t.data()) {
        if (!buf.hasRemaining()) {
          out.write(buf.array(), 0, buf.position());
          buf.clear();
        }
        buf.putFloat(v);
      }
    }
    out.write(buf.array(), 0, buf.position());
  }

  /** Reads every tensor (float32 only) and the metadata (under the key "__metadata__"). */
  public static Map<String, Tensor> read(InputStream in, Map<String, String> metadataOut)
      throws IOException {
    DataInputStream data = new DataInputStream(in);
    byte[] prefix = new byte[8];
    data.readFully(prefix);
    long headerLength = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (headerLength <= 0 || headerLength > 100_000_000) {
      throw new IOException("not a safetensors file (header length " + headerLength + ")");
    }
    byte[] json = new byte[(int) headerLength];
    data.readFully(json);
    JsonNode header = JSON.readTree(new String(json, StandardCharsets.UTF_8).trim());
    Map<String, Tensor> out = new LinkedHashMap<>();
    long position = 0;
    Iterator<Map.Entry<String, JsonNode>> fields = header.fields();
    // Tensors are stored in data_offsets order; read them in that order.
    List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      if (f.getKey().equals("__metadata__")) {
        f.getValue()
            .fields()
            .forEachRemaining(m -> metadataOut.put(m.getKey(), m.getValue().asText()));
      } else {
        entries.add(f);
      }
    }
    entries.sort(Comparator.comparingLong(e -> e.getValue().path("data_offsets").get(0).asLong()));
    for (Map.Entry<String, JsonNode> e : entries) {
      JsonNode t = e.getValue();
      if (!"F32".equals(t.path("dtype").asText())) {
        throw new IOException(
            e.getKey() + ": dtype " + t.path("dtype").asText() + "; only F32 is read");
      }
      long begin = t.path("data_offsets").get(0).asLong();
      long end = t.path("data_offsets").get(1).asLong();
      data.skipNBytes(begin - position);
      long[] shape = new long[t.path("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = t.path("shape").get(i).asLong();
      }
      byte[] bytes = new byte[Math.toIntExact(end - begin)];
      data.readFully(bytes);
      float[] values = new float[bytes.length / 4];
      ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
      out.put(e.getKey(), new Tensor(shape, values));
      position = end;
    }
    return out;
  }
}
