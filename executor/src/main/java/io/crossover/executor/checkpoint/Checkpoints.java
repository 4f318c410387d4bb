package io.crossover.executor.checkpoint;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.core.type.TypeReference;
import io.crossover.data.Failure;
import io.crossover.data.Json;
import io.crossover.data.Sha256;
import io.crossover.executor.model.Param;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.optim.AdamW;
import io.crossover.executor.optim.Optimizer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Checkpoints in a run directory, on any Hadoop filesystem:
 *
 * <pre>
 *   checkpoints/step-N/model.safetensors      parameters, as the model stores them
 *   checkpoints/step-N/optimizer.safetensors  AdamW moments (m.NAME, v.NAME)
 *   checkpoints/step-N/optimizer-R-of-W.safetensors  or, sharded (optim.shard), rank R's moments
 *   checkpoints/step-N/state.json             next step, optimiser step, tokens seen, seed
 *   checkpoints/step-N/config.json            the resolved config of the run
 *   checkpoints/step-N/checksums.json         size and SHA-256 of each file above
 * </pre>
 *
 * A checkpoint is written under a hidden temporary name and renamed when complete, so the highest
 * {@code step-N} is always a whole one when written; the checksums catch what happens to it later
 * (a truncated copy, a bad disk), and resuming falls back to the newest intact checkpoint. The
 * noise of every step derives from (seed, rank, step), so the step is all the random state there
 * is.
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

  /** File with the size and SHA-256 of every other file of a checkpoint. */
  public static final String CHECKSUMS = "checksums.json";

  /** Prefix a broken checkpoint's directory is renamed to, so that it is kept but never used. */
  public static final String BROKEN = "broken-";

  /**
   * Size and digest of one file of a checkpoint.
   *
   * @param bytes the file's length
   * @param sha256 lower-case hex
   */
  public record FileSum(long bytes, String sha256) {}

  /** Whether a checkpoint of {@code step} steps is complete already (a retried stage's save). */
  public static boolean exists(FileSystem fs, Path runDir, long step) throws IOException {
    return fs.exists(new Path(new Path(runDir, DIR), "step-" + step));
  }

  /**
   * Every rank of a sharded run, before rank 0's {@link #save}: writes this rank's optimiser shard,
   * and its checksum beside it, into the temporary directory the checkpoint is assembled in.
   */
  public static void saveShard(FileSystem fs, Path runDir, long step, Optimizer optimizer)
      throws IOException {
    Path tmp = shardedTmp(runDir, step);
    fs.mkdirs(tmp);
    String file = optimizer.stateFile();
    FileSum sum =
        write(
            fs,
            new Path(tmp, file),
            out -> SafeTensors.write(out, tensors(optimizer.state()), Map.of()));
    writeText(fs, new Path(tmp, file + SUM), Json.write(sum));
  }

  /**
   * Writes a checkpoint of {@code step} steps done; returns its directory. For a sharded optimiser
   * every rank's {@link #saveShard} must be done: their files are taken in, checked by the
   * checksums they were written with.
   */
  public static Path save(
      FileSystem fs,
      Path runDir,
      State state,
      Transformer model,
      Optimizer optimizer,
      String configJson)
      throws IOException {
    return save(fs, runDir, state, model, optimizer, configJson, () -> {});
  }

  /**
   * As above; {@code beforePublish} runs when the checkpoint is complete, just before it is renamed
   * into place, and may refuse it by throwing (a writer fenced out since it started).
   */
  public static Path save(
      FileSystem fs,
      Path runDir,
      State state,
      Transformer model,
      Optimizer optimizer,
      String configJson,
      Runnable beforePublish)
      throws IOException {
    Path root = new Path(runDir, DIR);
    Path target = new Path(root, "step-" + state.step());
    if (fs.exists(target)) {
      return target; // A retried stage re-saves the same step: the content would be identical.
    }
    Path tmp =
        optimizer.sharded()
            ? shardedTmp(runDir, state.step())
            : new Path(root, ".step-" + state.step() + ".tmp-" + UUID.randomUUID());
    fs.mkdirs(tmp);
    try {
      Map<String, SafeTensors.Tensor> params = new LinkedHashMap<>();
      for (Param p : model.params()) {
        params.put(p.name(), tensor(p.array()));
      }
      Map<String, FileSum> sums = new TreeMap<>();
      sums.put(
          MODEL,
          write(
              fs,
              new Path(tmp, MODEL),
              out -> SafeTensors.write(out, params, Map.of("format", "crossover"))));
      if (optimizer.sharded()) {
        sums.putAll(shardSums(fs, tmp));
      } else {
        sums.put(
            optimizer.stateFile(),
            write(
                fs,
                new Path(tmp, optimizer.stateFile()),
                out -> SafeTensors.write(out, tensors(optimizer.state()), Map.of())));
      }
      sums.put(STATE, writeText(fs, new Path(tmp, STATE), Json.write(state)));
      sums.put(CONFIG, writeText(fs, new Path(tmp, CONFIG), configJson));
      writeText(fs, new Path(tmp, CHECKSUMS), Json.write(sums));
      beforePublish.run();
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

  /** The shared temporary directory the ranks of a sharded run assemble a checkpoint in. */
  private static Path shardedTmp(Path runDir, long step) {
    return new Path(new Path(runDir, DIR), ".step-" + step + ".tmp-shards");
  }

  private static final String SUM = ".sum.json";
  private static final Pattern SHARD = Pattern.compile("optimizer-(\\d+)-of-(\\d+)\\.safetensors");

  /** The ranks' shard files in {@code tmp} with the checksums they wrote; all W must be there. */
  private static Map<String, FileSum> shardSums(FileSystem fs, Path tmp) throws IOException {
    Map<String, FileSum> sums = new TreeMap<>();
    int expected = -1;
    for (FileStatus f : fs.listStatus(tmp)) {
      var m = SHARD.matcher(f.getPath().getName());
      if (m.matches()) {
        expected = Integer.parseInt(m.group(2));
        try (InputStream in = fs.open(new Path(tmp, f.getPath().getName() + SUM))) {
          sums.put(f.getPath().getName(), Json.MAPPER.readValue(in, FileSum.class));
        }
        fs.delete(new Path(tmp, f.getPath().getName() + SUM), false);
      }
    }
    if (expected < 0 || sums.size() != expected) {
      throw new IOException(
          tmp + " holds " + sums.size() + " optimizer shard(s) of " + Math.max(expected, 0));
    }
    return sums;
  }

  private static Map<String, SafeTensors.Tensor> tensors(Map<String, NDArray> state) {
    Map<String, SafeTensors.Tensor> out = new LinkedHashMap<>();
    state.forEach((name, a) -> out.put(name, tensor(a)));
    return out;
  }

  private static final String MODEL = "model.safetensors";
  private static final String OPTIMIZER = AdamW.FILE;
  private static final String STATE = "state.json";
  private static final String CONFIG = "config.json";

  /**
   * What is wrong with a checkpoint, one entry per broken file ({@code file: why}); empty when it
   * is intact. Every checkpoint this version writes has checksums.json: a missing one is damage,
   * unless {@code acceptUnverified}, when the files are checked by parsing them instead (what the
   * user gives up: telling a corrupt file from an intact one).
   */
  public static List<String> problems(FileSystem fs, Path dir, boolean acceptUnverified)
      throws IOException {
    List<String> out = new ArrayList<>();
    Path sumsFile = new Path(dir, CHECKSUMS);
    if (!fs.exists(sumsFile)) {
      if (!acceptUnverified) {
        out.add(
            CHECKSUMS
                + ": missing (it holds each file's size and SHA-256; without it a corrupt file"
                + " cannot be told from an intact one: --accept-unverified-checkpoint takes the"
                + " files as they are)");
        return out;
      }
      for (String file : files(fs, dir)) {
        Path p = new Path(dir, file);
        if (!fs.exists(p)) {
          out.add(file + ": missing");
          continue;
        }
        try (InputStream in = new BufferedInputStream(fs.open(p), 1 << 20)) {
          if (file.endsWith(".safetensors")) {
            SafeTensors.read(in, new LinkedHashMap<>());
          } else {
            Json.MAPPER.readTree(in);
          }
        } catch (IOException | RuntimeException e) {
          out.add(file + ": unreadable (" + e + ")");
        }
      }
      return out;
    }
    Map<String, FileSum> sums;
    try (InputStream in = fs.open(sumsFile)) {
      sums = Json.MAPPER.readValue(in, new TypeReference<TreeMap<String, FileSum>>() {});
    } catch (IOException e) {
      out.add(CHECKSUMS + ": unreadable (" + e.getMessage() + ")");
      return out;
    }
    Set<String> listed = new TreeSet<>(sums.keySet());
    boolean sharded = listed.stream().anyMatch(f -> SHARD.matcher(f).matches());
    listed.addAll(List.of(MODEL, STATE, CONFIG));
    if (!sharded) {
      listed.add(OPTIMIZER);
    }
    for (String file : listed) {
      FileSum want = sums.get(file);
      Path p = new Path(dir, file);
      if (want == null) {
        out.add(CHECKSUMS + ": lists no " + file);
      } else if (!fs.exists(p)) {
        out.add(file + ": missing");
      } else {
        String why = mismatch(fs.getFileStatus(p).getLen(), Sha256.hex(fs, p), want);
        if (why != null) {
          out.add(file + ": " + why);
        }
      }
    }
    return out;
  }

  /**
   * The files a checkpoint without checksums should have: model, state, config and the optimiser's
   * state, whole or the ranks' shards that are there.
   */
  private static List<String> files(FileSystem fs, Path dir) throws IOException {
    List<String> out = new ArrayList<>(List.of(MODEL, STATE, CONFIG));
    List<String> shards = new ArrayList<>();
    for (FileStatus f : fs.listStatus(dir)) {
      if (SHARD.matcher(f.getPath().getName()).matches()) {
        shards.add(f.getPath().getName());
      }
    }
    if (shards.isEmpty()) {
      out.add(OPTIMIZER);
    }
    Collections.sort(shards);
    out.addAll(shards);
    return out;
  }

  private static String mismatch(long bytes, String sha256, FileSum want) {
    if (bytes < want.bytes()) {
      return "truncated: " + bytes + " of " + want.bytes() + " bytes";
    }
    if (bytes > want.bytes()) {
      return bytes + " bytes, " + want.bytes() + " written";
    }
    return sha256.equals(want.sha256()) ? null : "corrupt: SHA-256 differs from the one written";
  }

  /**
   * The newest checkpoint that is intact. Broken ones newer than it are renamed to {@code
   * broken-step-N} (kept, never used again, and out of the way of a new save of that step) and each
   * is reported to {@code warn}. Throws a {@link io.crossover.data.Failure} naming every broken
   * file when no checkpoint is intact; then nothing is renamed.
   */
  public static Optional<Path> newestIntact(
      FileSystem fs,
      Path runDir,
      Consumer<String> warn,
      boolean acceptUnverified,
      String startAgain)
      throws IOException {
    List<Path> steps = steps(fs, runDir);
    List<String> broken = new ArrayList<>();
    List<Path> quarantine = new ArrayList<>();
    for (int i = steps.size() - 1; i >= 0; i--) {
      Path dir = steps.get(i);
      List<String> problems = problems(fs, dir, acceptUnverified);
      if (problems.isEmpty()) {
        if (!fs.exists(new Path(dir, CHECKSUMS))) {
          // Accepted as it is: its checksums are recorded now, so every later load checks them.
          recordChecksums(fs, dir);
          warn.accept(
              "resume: "
                  + dir.getName()
                  + " had no "
                  + CHECKSUMS
                  + "; its files were accepted as they are and their checksums recorded");
        }
        for (Path bad : quarantine) {
          Path aside =
              new Path(bad.getParent(), BROKEN + bad.getName() + "-" + System.currentTimeMillis());
          if (!fs.rename(bad, aside)) {
            throw new IOException("cannot rename the broken checkpoint " + bad + " to " + aside);
          }
          warn.accept(
              "resume: moved the broken checkpoint "
                  + bad.getName()
                  + " aside to "
                  + aside.getName());
        }
        return Optional.of(dir);
      }
      for (String p : problems) {
        broken.add(dir.getName() + "/" + p);
        warn.accept("resume: checkpoint " + dir.getName() + " is broken: " + p);
      }
      quarantine.add(dir);
    }
    if (!broken.isEmpty()) {
      throw new Failure(
          "no intact checkpoint in "
              + new Path(runDir, DIR)
              + " to resume from; broken: "
              + String.join("; ", broken)
              + ". "
              + Character.toUpperCase(startAgain.charAt(0))
              + startAgain.substring(1));
    }
    return Optional.empty();
  }

  /**
   * Removes the temporary directories of checkpoints whose save was interrupted (a killed process
   * or a full disk); returns their names.
   */
  public static List<String> removeUnfinished(FileSystem fs, Path runDir) throws IOException {
    Path root = new Path(runDir, DIR);
    List<String> removed = new ArrayList<>();
    if (fs.exists(root)) {
      for (FileStatus s : fs.listStatus(root)) {
        String name = s.getPath().getName();
        if (name.matches("\\.step-\\d+\\.tmp-.*")) {
          fs.delete(s.getPath(), true);
          removed.add(name);
        }
      }
    }
    return removed;
  }

  /** The complete checkpoint with the most steps, if any. */
  public static Optional<Path> latest(FileSystem fs, Path runDir) throws IOException {
    List<Path> steps = steps(fs, runDir);
    return steps.isEmpty() ? Optional.empty() : Optional.of(steps.get(steps.size() - 1));
  }

  /** The {@code step-N} directories, by N ascending. */
  private static List<Path> steps(FileSystem fs, Path runDir) throws IOException {
    Path root = new Path(runDir, DIR);
    List<Path> out = new ArrayList<>();
    if (fs.exists(root)) {
      for (FileStatus s : fs.listStatus(root)) {
        if (s.isDirectory() && s.getPath().getName().matches("step-\\d+")) {
          out.add(s.getPath());
        }
      }
    }
    out.sort(Comparator.comparingLong(p -> Long.parseLong(p.getName().substring(5))));
    return out;
  }

  /** Writes checksums.json for a checkpoint's files as they are now. */
  static void recordChecksums(FileSystem fs, Path dir) throws IOException {
    Map<String, FileSum> sums = new TreeMap<>();
    for (String file : files(fs, dir)) {
      Path p = new Path(dir, file);
      sums.put(file, new FileSum(fs.getFileStatus(p).getLen(), Sha256.hex(fs, p)));
    }
    writeText(fs, new Path(dir, CHECKSUMS), Json.write(sums));
  }

  /**
   * Loads only the parameters (for scoring, generation, export); {@code acceptUnverified} loads a
   * checkpoint without checksums.json as it is.
   */
  public static void loadModel(FileSystem fs, Path dir, Transformer model, boolean acceptUnverified)
      throws IOException {
    Map<String, SafeTensors.Tensor> params = read(fs, dir, MODEL, acceptUnverified);
    for (Param p : model.params()) {
      copy(dir, p.name(), params.get(p.name()), p.array());
    }
  }

  /**
   * The training state a checkpoint was taken at (its step and tokens seen), checksum-checked
   * unless {@code acceptUnverified} and the checkpoint has no checksums.
   */
  public static State state(FileSystem fs, Path dir, boolean acceptUnverified) throws IOException {
    byte[] stateJson;
    try (InputStream in = fs.open(new Path(dir, STATE))) {
      stateJson = in.readAllBytes();
    }
    check(fs, dir, STATE, stateJson.length, Sha256.hex(stateJson), acceptUnverified);
    return Json.MAPPER.readValue(stateJson, State.class);
  }

  /** The resolved config saved with a checkpoint. */
  public static String configJson(FileSystem fs, Path dir) throws IOException {
    try (InputStream in = fs.open(new Path(dir, CONFIG))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * Loads a checkpoint into an existing model and optimiser of the same shape, checking each file
   * against its checksum as it is read.
   */
  public static State load(FileSystem fs, Path dir, Transformer model, Optimizer optimizer)
      throws IOException {
    Map<String, SafeTensors.Tensor> params = read(fs, dir, MODEL, false);
    for (Param p : model.params()) {
      copy(dir, p.name(), params.get(p.name()), p.array());
    }
    String file = optimizer.stateFile();
    if (!fs.exists(new Path(dir, file))) {
      throw new Failure(
          dir
              + " has no "
              + file
              + ": it was written with another optim.shard or cluster.world-size. Both are part"
              + " of the run's identity and an optimiser's state is never resharded: resume with"
              + " the settings the run was started with");
    }
    Map<String, SafeTensors.Tensor> moments = read(fs, dir, file, false);
    for (Map.Entry<String, NDArray> e : optimizer.state().entrySet()) {
      copy(dir, e.getKey(), moments.get(e.getKey()), e.getValue());
    }
    State state = state(fs, dir, false);
    optimizer.restoreStep(state.optimizerStep());
    return state;
  }

  private static void copy(Path dir, String name, SafeTensors.Tensor tensor, NDArray into) {
    if (tensor == null) {
      throw new IllegalStateException(
          dir + ": no tensor " + name + "; the checkpoint is of another model");
    }
    long[] shape = into.getShape().getShape();
    if (!Arrays.equals(shape, tensor.shape())) {
      throw new IllegalStateException(
          dir
              + ": "
              + name
              + " has shape "
              + Arrays.toString(tensor.shape())
              + " but the model's is "
              + Arrays.toString(shape)
              + " (model.* differs)");
    }
    into.set(tensor.data());
  }

  private static SafeTensors.Tensor tensor(NDArray a) {
    return new SafeTensors.Tensor(a.getShape().getShape(), a.toFloatArray());
  }

  private interface Body {
    void write(OutputStream out) throws IOException;
  }

  private static FileSum write(FileSystem fs, Path file, Body body) throws IOException {
    MessageDigest md = Sha256.digest();
    long[] count = {0};
    try (OutputStream out =
        new BufferedOutputStream(
            new DigestOutputStream(fs.create(file, true), md) {
              @Override
              public void write(byte[] b, int off, int len) throws IOException {
                super.write(b, off, len);
                count[0] += len;
              }

              @Override
              public void write(int b) throws IOException {
                super.write(b);
                count[0]++;
              }
            },
            1 << 20)) {
      body.write(out);
    }
    return new FileSum(count[0], HexFormat.of().formatHex(md.digest()));
  }

  /** Reads a safetensors file of a checkpoint, checking it against its checksum. */
  private static Map<String, SafeTensors.Tensor> read(
      FileSystem fs, Path dir, String file, boolean acceptUnverified) throws IOException {
    MessageDigest md = Sha256.digest();
    long[] count = {0};
    Map<String, SafeTensors.Tensor> tensors;
    try (InputStream in =
        new DigestInputStream(new BufferedInputStream(fs.open(new Path(dir, file)), 1 << 20), md) {
          @Override
          public int read() throws IOException {
            int b = super.read();
            count[0] += b < 0 ? 0 : 1;
            return b;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count[0] += Math.max(n, 0);
            return n;
          }
        }) {
      try {
        tensors = SafeTensors.read(in, new LinkedHashMap<>());
      } catch (IOException | RuntimeException e) {
        problemsOrThrow(fs, dir, file, e, acceptUnverified);
        throw e;
      }
      in.transferTo(OutputStream.nullOutputStream());
    }
    check(fs, dir, file, count[0], HexFormat.of().formatHex(md.digest()), acceptUnverified);
    return tensors;
  }

  /** A file that does not parse: say whether its checksum explains it. */
  private static void problemsOrThrow(
      FileSystem fs, Path dir, String file, Exception e, boolean acceptUnverified)
      throws IOException {
    for (String p : problems(fs, dir, acceptUnverified)) {
      if (p.startsWith(file + ":")) {
        throw new Failure(dir + "/" + p, e);
      }
    }
  }

  private static void check(
      FileSystem fs, Path dir, String file, long bytes, String sha256, boolean acceptUnverified)
      throws IOException {
    Path sums = new Path(dir, CHECKSUMS);
    if (!fs.exists(sums)) {
      if (acceptUnverified) {
        return;
      }
      throw new Failure(
          sums
              + " is missing: it holds each file's size and SHA-256, so "
              + file
              + " cannot be verified; pass --accept-unverified-checkpoint to load it as it is");
    }
    Map<String, FileSum> all;
    try (InputStream in = fs.open(sums)) {
      all = Json.MAPPER.readValue(in, new TypeReference<TreeMap<String, FileSum>>() {});
    }
    FileSum want = all.get(file);
    String why = want == null ? "not listed in " + CHECKSUMS : mismatch(bytes, sha256, want);
    if (why != null) {
      throw new Failure(dir + "/" + file + ": " + why);
    }
  }

  private static FileSum writeText(FileSystem fs, Path file, String text) throws IOException {
    return write(fs, file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
  }
}
