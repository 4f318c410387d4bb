package io.crossover.driver;

import io.crossover.executor.checkpoint.Export;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code crossover export}: a checkpoint as safetensors + config.json for other tools. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Export a checkpoint as model.safetensors + config.json (Qwen3/Llama layout) + tokenizer.",
      "AR models load as Qwen3ForCausalLM; MDM models need full attention (see config.json)."
    })
final class ExportCommand implements Callable<Integer> {
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

  @Override
  public Integer call() {
    Configuration hadoop = new Configuration();
    try (Checkpoint c = Checkpoint.open(checkpoint, hadoop)) {
      Path target = new Path(out);
      Export.write(
          io.crossover.data.shard.Filesystems.of(target, hadoop),
          target,
          c.model,
          c.config,
          c.tokenizer,
          c.tokenizerSpec.json());
      System.out.println("exported " + c.dir + " -> " + target);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot export to " + out + ": " + e.getMessage(), e);
    }
    return 0;
  }
}
