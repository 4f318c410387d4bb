package io.crossover.driver.cli;

import picocli.CommandLine.Option;

/**
 * The option of every command that reads a checkpoint, named for what it gives up: every checkpoint
 * this version writes has checksums.json (each file's size and SHA-256), so one without it is
 * refused as damaged unless the user takes its files as they are.
 */
public final class CheckpointTrust {
  @Option(
      names = "--accept-unverified-checkpoint",
      description =
          "Take a checkpoint without checksums.json as it is (its files only parsed, not verified:"
              + " a corrupt one may load).")
  boolean acceptUnverified;
}
