package io.crossover.executor.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SafeTensorsTest {
  @Test
  void roundTripsAndFollowsTheFormat() throws Exception {
    Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
    tensors.put(
        "a.weight", new SafeTensors.Tensor(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
    tensors.put("b", new SafeTensors.Tensor(new long[] {1}, new float[] {-0.5f}));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SafeTensors.write(out, tensors, Map.of("format", "pt"));
    byte[] bytes = out.toByteArray();
    long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLength % 8, "header padded to 8 bytes");
    assertEquals(8 + headerLength + 7 * 4, bytes.length);
    String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8).trim();
    assertEquals(
        "{\"__metadata__\":{\"format\":\"pt\"},\"a.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[24,28]}}",
        header);
    Map<String, String> meta = new HashMap<>();
    Map<String, SafeTensors.Tensor> back = SafeTensors.read(new ByteArrayInputStream(bytes), meta);
    assertEquals("pt", meta.get("format"));
    assertArrayEquals(new long[] {2, 3}, back.get("a.weight").shape());
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, back.get("a.weight").data());
    assertArrayEquals(new float[] {-0.5f}, back.get("b").data());
  }
}
