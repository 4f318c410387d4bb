package io.crossover.driver.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.crossover.executor.device.OpTrace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Self times from a profiler trace, and the groups they add up to. */
class OpProfileTest {
  @TempDir Path dir;

  private static String event(String name, double ts, double dur, int tid) {
    return String.format(
        Locale.ROOT,
        "{\"name\": \"%s\", \"ph\": \"X\", \"ts\": %f, \"dur\": %f, \"tid\": %d,"
            + " \"pid\": \"CPU Functions\", \"args\": {}}",
        name,
        ts,
        dur,
        tid);
  }

  private Path trace(String name, String... events) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, "[\n" + String.join(",\n", events) + "\n]\n");
    return p;
  }

  @Test
  void selfTimeIsTheDurationLessTheEnclosedOpsAndACastIsNamedAsSuch() throws IOException {
    Path pass =
        trace(
            "pass.json",
            // matmul (100 us) encloses mm (80 us): 20 us of its own.
            event("aten::matmul", 0, 100, 1),
            event("aten::mm", 10, 80, 1),
            // A dtype conversion: its copy is a cast; a bare copy is not.
            event("aten::to", 200, 50, 1),
            event("aten::_to_copy", 205, 40, 1),
            event("aten::copy_", 210, 30, 1),
            event("aten::copy_", 300, 7, 1),
            // Backward on another thread, with autograd's node around the op.
            event("autograd::engine::evaluate_function: MmBackward0", 0, 60, 2),
            event("aten::mm", 5, 50, 2),
            event("aten::_softmax_backward_data", 70, 9, 2),
            event("aten::mul", 100, 4, 2));
    Path update =
        trace("update.json", event("aten::mul_", 0, 12, 1), event("aten::add_", 20, 3, 1));
    Map<String, Double> self = OpProfile.selfSeconds(pass);
    assertEquals(130e-6, self.get("aten::mm"), 1e-12);
    assertEquals(20e-6, self.get("aten::matmul"), 1e-12);
    assertEquals(30e-6, self.get(OpProfile.CAST), 1e-12);
    assertEquals(7e-6, self.get("aten::copy_"), 1e-12);
    assertEquals(10e-6, self.get("aten::_to_copy"), 1e-12);

    OpProfile profile = OpProfile.of(pass, update);
    assertEquals(150e-6, profile.groups().get(OpProfile.Group.PRODUCTS), 1e-12);
    assertEquals(50e-6, profile.groups().get(OpProfile.Group.CASTS), 1e-12);
    assertEquals(9e-6, profile.groups().get(OpProfile.Group.ATTENTION), 1e-12);
    assertEquals(4e-6, profile.groups().get(OpProfile.Group.ELEMENTWISE), 1e-12);
    assertEquals(15e-6, profile.groups().get(OpProfile.Group.OPTIMIZER), 1e-12);
    // What the events cover on each thread, split without a gap or an overlap.
    assertEquals((100 + 50 + 7 + 60 + 9 + 4 + 15) * 1e-6, profile.total(), 1e-12);
    assertEquals("aten::mm", profile.ops().get(0).getKey());
  }

  @Test
  void groupsOpsByWhatTheyAreFor() {
    assertEquals(
        OpProfile.Group.ATTENTION,
        OpProfile.group("aten::_scaled_dot_product_flash_attention_for_cpu_backward"));
    assertEquals(OpProfile.Group.LOSS, OpProfile.group("aten::_log_softmax_backward_data"));
    assertEquals(OpProfile.Group.LOSS, OpProfile.group("aten::embedding_dense_backward"));
    assertEquals(OpProfile.Group.PRODUCTS, OpProfile.group("aten::bmm"));
    assertEquals(OpProfile.Group.ELEMENTWISE, OpProfile.group("aten::silu_backward"));
    assertEquals(OpProfile.Group.OTHER, OpProfile.group("aten::transpose"));
    assertEquals(OpProfile.Group.OTHER, OpProfile.group("forward"));
  }

  @Test
  void aRealTraceOfLibtorchSeesTheProductItRan() {
    Path pass = dir.resolve("real-pass.json");
    Path update = dir.resolve("real-update.json");
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.randomUniform(-1, 1, new Shape(256, 256));
      try (OpTrace trace = OpTrace.start(pass)) {
        a.matMul(a).sum().getFloat();
      }
      try (OpTrace trace = OpTrace.start(update)) {
        a.muli(0.5f);
      }
    }
    OpProfile profile = OpProfile.of(pass, update);
    assertTrue(profile.groups().get(OpProfile.Group.PRODUCTS) > 0, profile.ops().toString());
    assertTrue(profile.groups().get(OpProfile.Group.OPTIMIZER) > 0, profile.ops().toString());
  }
}
