package io.crossover.driver.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.crossover.data.Failure;
import io.crossover.data.Json;
import io.crossover.data.Sha256;
import io.crossover.data.UserException;
import io.crossover.data.shard.Filesystems;
import io.crossover.driver.run.Checkpoint;
import io.crossover.executor.checkpoint.Export;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code crossover export}: a checkpoint as safetensors + config.json for other tools. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Export a checkpoint as model.safetensors + config.json (Qwen3/Llama layout) + tokenizer.",
      "AR models load as Qwen3ForCausalLM; MDM models are named Qwen3ForMaskedDiffusion and need",
      "full attention and their MASK id (see config.json).",
      "The output directory must be empty or an earlier export of the same checkpoint."
    })
public final class ExportCommand implements Callable<Integer> {
  @CommandLine.Mixin CheckpointTrust trust;

  /** Written into every export: which checkpoint it came from. */
  static final String MARKER = "crossover-export.json";

  @Option(
      names = "--checkpoint",
      required = true,
      description = "A checkpoint directory, or a run directory (latest checkpoint).")
  String checkpoint;

  @Option(
      names = "--out",
      required = true,
      description = "Directory to write (any Hadoop filesystem).")
  String out;

  @Option(
      names = "--overwrite",
      description =
          "Write into a non-empty directory that is not an export of this checkpoint (files of"
              + " the same names are replaced; others are left).")
  boolean overwrite;

  @Override
  public Integer call() {
    Configuration hadoop = new Configuration();
    try (Checkpoint c = Checkpoint.open(checkpoint, hadoop, trust.acceptUnverified)) {
      Path target = new Path(out);
      FileSystem fs = Filesystems.of(target, hadoop);
      Path model = new Path(c.dir, "model.safetensors");
      String modelSha = Sha256.hex(Filesystems.of(c.dir, hadoop), model);
      if (!overwrite) {
        refuseForeign(fs, target, c.dir.toString(), modelSha);
      }
      Export.write(fs, target, c.model, c.config, c.tokenizer, c.tokenizerSpec.json());
      try (var o = fs.create(new Path(target, MARKER), true)) {
        o.write(
            // Sorted keys: the same export writes the same bytes.
            Json.write(
                    new TreeMap<>(Map.of("checkpoint", c.dir.toString(), "model-sha256", modelSha)))
                .getBytes(StandardCharsets.UTF_8));
      }
      System.out.println("exported " + c.dir + " -> " + target);
    } catch (IOException e) {
      throw new Failure("cannot export to " + out + ": " + e.getMessage(), e);
    }
    return 0;
  }

  /** An existing, non-empty --out must be an export of the same checkpoint (same model bytes). */
  private static void refuseForeign(FileSystem fs, Path target, String source, String modelSha)
      throws IOException {
    if (!fs.exists(target)) {
      return;
    }
    if (!fs.getFileStatus(target).isDirectory()) {
      throw new UserException("--out: " + target + " is a file; give a directory");
    }
    if (fs.listStatus(target).length == 0) {
      return;
    }
    Path marker = new Path(target, MARKER);
    if (fs.exists(marker)) {
      try (var in = fs.open(marker)) {
        var node = Json.MAPPER.readTree(in);
        if (modelSha.equals(node.path("model-sha256").asText())) {
          return;
        }
        throw new UserException(
            "--out: "
                + target
                + " holds an export of another checkpoint ("
                + node.path("checkpoint").asText()
                + "); choose another directory, or pass --overwrite to replace it");
      } catch (JsonProcessingException e) {
        // not ours after all: refused below
      }
    }
    throw new UserException(
        "--out: "
            + target
            + " is not empty and is not an export of "
            + source
            + "; choose an empty directory, or pass --overwrite to write into it anyway");
  }
}
