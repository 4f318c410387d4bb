package io.crossover.driver.run;

import ai.djl.ndarray.NDManager;
import io.crossover.data.Failure;
import io.crossover.data.UserException;
import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.TrainConfig;
import io.crossover.data.shard.Filesystems;
import io.crossover.data.tokenize.Tokenizer;
import io.crossover.data.tokenize.TokenizerSpec;
import io.crossover.executor.checkpoint.Checkpoints;
import io.crossover.executor.model.Numerics;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.precision.Precision;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A trained model loaded from a checkpoint (or a run's latest one), with its config and tokenizer.
 */
public final class Checkpoint implements AutoCloseable {
  public final CrossoverConfig config;
  public final Transformer model;
  public final Tokenizer tokenizer;
  public final TokenizerSpec tokenizerSpec;
  public final Path dir;

  /** Where training was when the checkpoint was taken. */
  public final Checkpoints.State state;

  private final NDManager manager;

  private Checkpoint(
      CrossoverConfig config,
      Transformer model,
      Tokenizer tokenizer,
      TokenizerSpec spec,
      Path dir,
      Checkpoints.State state,
      NDManager manager) {
    this.state = state;
    this.config = config;
    this.model = model;
    this.tokenizer = tokenizer;
    this.tokenizerSpec = spec;
    this.dir = dir;
    this.manager = manager;
  }

  /**
   * {@code path} is a checkpoint directory or a run directory (its latest checkpoint is used); one
   * without checksums is refused unless {@code acceptUnverified}.
   */
  public static Checkpoint open(String path, Configuration hadoop, boolean acceptUnverified) {
    return open(path, hadoop, null, acceptUnverified);
  }

  /**
   * Opens a checkpoint to evaluate or sample from in {@code evalPrecision} (null: the run's {@code
   * eval.precision}).
   */
  public static Checkpoint open(
      String path,
      Configuration hadoop,
      TrainConfig.PrecisionSetting evalPrecision,
      boolean acceptUnverified) {
    try {
      Path p = new Path(path);
      FileSystem fs = Filesystems.of(p, hadoop);
      if (!fs.exists(p)) {
        throw new UserException("--checkpoint: " + path + " does not exist");
      }
      if (!fs.exists(new Path(p, "model.safetensors"))) {
        p =
            Checkpoints.latest(fs, p)
                .orElseThrow(
                    () ->
                        new UserException(
                            "--checkpoint: "
                                + path
                                + " is neither a checkpoint (a directory with model.safetensors)"
                                + " nor a run directory with checkpoints/step-N"));
      }
      if (!fs.exists(new Path(p, "config.json"))) {
        throw new UserException(
            "--checkpoint: "
                + p
                + " has model.safetensors but no config.json; it was not written"
                + " by crossover train");
      }
      CrossoverConfig config = ConfigLoader.fromJson(Checkpoints.configJson(fs, p));
      Checkpoints.State state = Checkpoints.state(fs, p, acceptUnverified);
      TokenizerSpec spec = TokenizerSpec.resolve(config.data().tokenizer(), hadoop);
      Tokenizer tokenizer = spec.open();
      NDManager manager = NDManager.newBaseManager();
      // The vocabulary comes from the tokenizer the run used (the dataset's).
      Numerics numerics =
          new Numerics(
              config.train().attention(),
              Precision.FP32,
              Precision.resolve(
                      evalPrecision != null ? evalPrecision : config.eval().precision(),
                      manager.getDevice())
                  .precision());
      Transformer model =
          new Transformer(
              config.model(), tokenizer.vocabSize(), config.run().seed(), manager, numerics);
      try {
        Checkpoints.loadModel(fs, p, model, acceptUnverified);
      } catch (IOException | RuntimeException e) {
        model.close();
        tokenizer.close();
        manager.close();
        throw e;
      }
      return new Checkpoint(config, model, tokenizer, spec, p, state, manager);
    } catch (IOException e) {
      throw new Failure("cannot read checkpoint " + path + ": " + e.getMessage(), e);
    }
  }

  public NDManager manager() {
    return manager;
  }

  @Override
  public void close() {
    model.close();
    tokenizer.close();
    manager.close();
  }
}
