package io.crossover.executor.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.plan.Noise;
import io.crossover.executor.TestModels;
import io.crossover.executor.model.Param;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Autoregressive;
import io.crossover.executor.optim.AdamW;
import io.crossover.executor.train.StepPhases;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint written and read back on a real (local) filesystem: the model and the optimiser come
 * back bit for bit, damage is named by file and skipped for the newest intact checkpoint, and a
 * refused publish leaves nothing.
 */
class CheckpointsTest {
  private static final CrossoverConfig CONFIG =
      TestModels.config("model.preset=tiny", "model.dim=32", "model.layers=2", "model.heads=2");

  /** Trains {@code steps} AdamW steps of random tokens, so that the moments are not zero. */
  private static void train(Transformer model, AdamW adam, NDManager m, int steps) {
    StepPhases phases = new StepPhases(model, new Autoregressive(), adam, 1.0);
    for (int s = 0; s < steps; s++) {
      int[][] tokens = new int[2][16];
      var random = Noise.of(3, 0, s);
      for (int[] row : tokens) {
        for (int i = 0; i < row.length; i++) {
          row[i] = random.nextInt(256);
        }
      }
      try (NDManager scratch = m.newSubManager()) {
        phases.forwardBackward(scratch, new Autoregressive().prepare(tokens, random, random));
        phases.clipAndUpdate(scratch, 1e-3);
      }
    }
  }

  private static float[] flat(List<NDArray> arrays) {
    float[] out = new float[0];
    for (NDArray a : arrays) {
      float[] values = a.toFloatArray();
      int at = out.length;
      out = Arrays.copyOf(out, at + values.length);
      System.arraycopy(values, 0, out, at, values.length);
    }
    return out;
  }

  private static float[] params(Transformer model) {
    return flat(model.params().stream().map(Param::array).toList());
  }

  private static float[] moments(AdamW adam) {
    return flat(adam.state().values().stream().toList());
  }

  private static FileSystem local() throws IOException {
    return FileSystem.getLocal(new Configuration()).getRawFileSystem();
  }

  @Test
  void aCheckpointLoadsBitForBit(@TempDir java.nio.file.Path tmp) throws Exception {
    FileSystem fs = local();
    Path run = new Path(tmp.toUri());
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(CONFIG.model(), 259, 16, m);
        AdamW adam = new AdamW(CONFIG.optim(), model.params(), m);
        Transformer fresh = new Transformer(CONFIG.model(), 259, 99, m);
        AdamW freshAdam = new AdamW(CONFIG.optim(), fresh.params(), m)) {
      train(model, adam, m, 2);
      Checkpoints.State state = new Checkpoints.State(2, adam.step(), 64, 16);
      Path dir = Checkpoints.save(fs, run, state, model, adam, "{\"x\":1}");
      assertEquals("step-2", dir.getName());
      assertEquals(List.of(), Checkpoints.problems(fs, dir, false));
      assertFalse(Arrays.equals(params(model), params(fresh)), "a differently seeded model");

      assertEquals(state, Checkpoints.load(fs, dir, fresh, freshAdam));
      assertArrayEquals(params(model), params(fresh));
      assertArrayEquals(moments(adam), moments(freshAdam));
      assertEquals(adam.step(), freshAdam.step());
      assertEquals("{\"x\":1}", Checkpoints.configJson(fs, dir));
      // Saving the same step again (a retried stage) keeps the first.
      assertEquals(dir, Checkpoints.save(fs, run, state, fresh, freshAdam, "{}"));
      assertEquals("{\"x\":1}", Checkpoints.configJson(fs, dir));
    }
  }

  @Test
  void damageIsNamedAndTheNewestIntactCheckpointIsUsed(@TempDir java.nio.file.Path tmp)
      throws Exception {
    FileSystem fs = local();
    Path run = new Path(tmp.toUri());
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(CONFIG.model(), 259, 16, m);
        AdamW adam = new AdamW(CONFIG.optim(), model.params(), m)) {
      train(model, adam, m, 1);
      Path first =
          Checkpoints.save(fs, run, new Checkpoints.State(1, 1, 32, 16), model, adam, "{}");
      train(model, adam, m, 1);
      Path second =
          Checkpoints.save(fs, run, new Checkpoints.State(2, 2, 64, 16), model, adam, "{}");
      java.nio.file.Path weights =
          java.nio.file.Path.of(new Path(second, "model.safetensors").toUri());
      byte[] bytes = Files.readAllBytes(weights);
      bytes[bytes.length - 1] ^= 1;
      Files.write(weights, bytes);

      assertEquals(
          List.of("model.safetensors: corrupt: SHA-256 differs from the one written"),
          Checkpoints.problems(fs, second, false));
      List<String> warnings = new ArrayList<>();
      assertEquals(
          first, Checkpoints.newestIntact(fs, run, warnings::add, false, "start again").get());
      assertTrue(warnings.get(0).contains("step-2 is broken: model.safetensors"), warnings.get(0));
      assertFalse(fs.exists(second), "the broken checkpoint is moved aside");
      assertTrue(
          Arrays.stream(fs.listStatus(new Path(run, Checkpoints.DIR)))
              .map(FileStatus::getPath)
              .anyMatch(p -> p.getName().startsWith(Checkpoints.BROKEN + "step-2")),
          "and kept");
      assertEquals(first, Checkpoints.latest(fs, run).get());
    }
  }

  @Test
  void aRefusedPublishLeavesNothing(@TempDir java.nio.file.Path tmp) throws Exception {
    FileSystem fs = local();
    Path run = new Path(tmp.toUri());
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(CONFIG.model(), 259, 16, m);
        AdamW adam = new AdamW(CONFIG.optim(), model.params(), m)) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () ->
                  Checkpoints.save(
                      fs,
                      run,
                      new Checkpoints.State(1, 0, 32, 16),
                      model,
                      adam,
                      "{}",
                      () -> {
                        throw new IllegalStateException("fenced out");
                      }));
      assertEquals("fenced out", e.getMessage());
      FileStatus[] left = fs.listStatus(new Path(run, Checkpoints.DIR));
      assertEquals(0, left.length, "no step and no temporary directory: " + Arrays.toString(left));
      assertTrue(Checkpoints.latest(fs, run).isEmpty());
    }
  }
}
