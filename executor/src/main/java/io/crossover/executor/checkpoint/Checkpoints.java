package io.crossover.executor.checkpoint;

import ai.djl.ndarray.NDArray;
import io.crossover.data.Json;
import io.crossover.executor.model.Param;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.optim.AdamW;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Checkpoints in a run directory, on any Hadoop filesystem:
 *
 * <pre>
 *   checkpoints/step-N/model.safetensors      parameters, as the model stores them
 *   checkpoints/step-N/optimizer.safetensors  AdamW moments (m.NAME, v.NAME)
 *   checkpoints/step-N/state.json             next step, optimiser step, tokens seen, seed
 *   checkpoints/step-N/config.json            the resolved config of the run
 * </pre>
 *
 * A checkpoint is written under a hidden temporary name and renamed when complete, so the highest
 * {@code step-N} is always a whole one. The noise of every step derives from (seed, rank, step), so
 * the step is all the random state there is.
 */
public final class Checkpoints {
  /** Directory under the run directory. */
  public static final String DIR = "checkpoints";

  private Checkpoints() {}

  /**
   * What a checkpoint says besides the tensors.
   *
   * @param step the next step to run (steps done)
   * @param optimizerStep AdamW's t
   * @param tokensSeen tokens trained on, over all ranks
   * @param seed the run seed
   */
  public record State(long step, long optimizerStep, long tokensSeen, long seed) {}

  /** Writes a checkpoint of {@code step} steps done; returns its directory. */
  public static Path save(
      FileSystem fs, Path runDir, State state, Transformer model, AdamW adam, String configJson)
      throws IOException {
    Path root = new Path(runDir, DIR);
    Path target = new Path(root, "step-" + state.step());
    if (fs.exists(target)) {
      return target; // A retried stage re-saves the same step: the content would be identical.
    }
    Path tmp = new Path(root, ".step-" + state.step() + ".tmp-" + UUID.randomUUID());
    fs.mkdirs(tmp);
    try {
      Map<String, SafeTensors.Tensor> params = new LinkedHashMap<>();
      Map<String, SafeTensors.Tensor> moments = new LinkedHashMap<>();
      List<Param> list = model.params();
      for (int i = 0; i < list.size(); i++) {
        Param p = list.get(i);
        params.put(p.name(), tensor(p.array()));
        moments.put("m." + p.name(), tensor(adam.firstMoments()[i]));
        moments.put("v." + p.name(), tensor(adam.secondMoments()[i]));
      }
      write(fs, new Path(tmp, "model.safetensors"), params, Map.of("format", "crossover"));
      write(fs, new Path(tmp, "optimizer.safetensors"), moments, Map.of());
      writeText(fs, new Path(tmp, "state.json"), Json.write(state));
      writeText(fs, new Path(tmp, "config.json"), configJson);
      if (!fs.rename(tmp, target)) {
        throw new IOException("cannot rename " + tmp + " to " + target);
      }
      return target;
    } finally {
      if (fs.exists(tmp)) {
        fs.delete(tmp, true);
      }
    }
  }

  /** The complete checkpoint with the most steps, if any. */
  public static Optional<Path> latest(FileSystem fs, Path runDir) throws IOException {
    Path root = new Path(runDir, DIR);
    if (!fs.exists(root)) {
      return Optional.empty();
    }
    Path best = null;
    long bestStep = -1;
    for (FileStatus s : fs.listStatus(root)) {
      String name = s.getPath().getName();
      if (s.isDirectory() && name.matches("step-\\d+")) {
        long step = Long.parseLong(name.substring(5));
        if (step > bestStep) {
          bestStep = step;
          best = s.getPath();
        }
      }
    }
    return Optional.ofNullable(best);
  }

  /** Loads only the parameters (for scoring, generation, export). */
  public static void loadModel(FileSystem fs, Path dir, Transformer model) throws IOException {
    Map<String, SafeTensors.Tensor> params = read(fs, new Path(dir, "model.safetensors"));
    for (Param p : model.params()) {
      copy(dir, p.name(), params.get(p.name()), p.array());
    }
  }

  /** The resolved config saved with a checkpoint. */
  public static String configJson(FileSystem fs, Path dir) throws IOException {
    try (InputStream in = fs.open(new Path(dir, "config.json"))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Loads a checkpoint into an existing model and optimiser of the same shape. */
  public static State load(FileSystem fs, Path dir, Transformer model, AdamW adam)
      throws IOException {
    Map<String, SafeTensors.Tensor> params = read(fs, new Path(dir, "model.safetensors"));
    Map<String, SafeTensors.Tensor> moments = read(fs, new Path(dir, "optimizer.safetensors"));
    List<Param> list = model.params();
    for (int i = 0; i < list.size(); i++) {
      Param p = list.get(i);
      copy(dir, p.name(), params.get(p.name()), p.array());
      copy(dir, "m." + p.name(), moments.get("m." + p.name()), adam.firstMoments()[i]);
      copy(dir, "v." + p.name(), moments.get("v." + p.name()), adam.secondMoments()[i]);
    }
    State state;
    try (InputStream in = fs.open(new Path(dir, "state.json"))) {
      state = Json.MAPPER.readValue(in, State.class);
    }
    adam.restoreStep(state.optimizerStep());
    return state;
  }

  private static void copy(Path dir, String name, SafeTensors.Tensor tensor, NDArray into) {
    if (tensor == null) {
      throw new IllegalStateException(
          dir + ": no tensor " + name + "; the checkpoint is of another model");
    }
    long[] shape = into.getShape().getShape();
    if (!java.util.Arrays.equals(shape, tensor.shape())) {
      throw new IllegalStateException(
          dir
              + ": "
              + name
              + " has shape "
              + java.util.Arrays.toString(tensor.shape())
              + " but the model's is "
              + java.util.Arrays.toString(shape)
              + " (model.* differs)");
    }
    into.set(tensor.data());
  }

  private static SafeTensors.Tensor tensor(NDArray a) {
    return new SafeTensors.Tensor(a.getShape().getShape(), a.toFloatArray());
  }

  private static void write(
      FileSystem fs, Path file, Map<String, SafeTensors.Tensor> tensors, Map<String, String> meta)
      throws IOException {
    try (OutputStream out = new java.io.BufferedOutputStream(fs.create(file, true), 1 << 20)) {
      SafeTensors.write(out, tensors, meta);
    }
  }

  private static Map<String, SafeTensors.Tensor> read(FileSystem fs, Path file) throws IOException {
    try (InputStream in = new java.io.BufferedInputStream(fs.open(file), 1 << 20)) {
      return SafeTensors.read(in, new LinkedHashMap<>());
    }
  }

  private static void writeText(FileSystem fs, Path file, String text) throws IOException {
    try (OutputStream out = fs.create(file, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
