package io.crossover.executor.device;

import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Path;

/**
 * libtorch's profiler around a region: every op libtorch runs until {@link #close()}, forward and
 * backward, with its start and duration, written as a Chrome trace (Perfetto or chrome://tracing
 * draw it). One region at a time per process: libtorch has one profiler.
 */
public final class OpTrace implements AutoCloseable {
  private final Path file;

  private OpTrace(Path file) {
    this.file = file;
  }

  /** Starts tracing; the trace goes to {@code file} when closed. */
  public static OpTrace start(Path file) {
    JniUtils.startProfile(false, false, false);
    return new OpTrace(file);
  }

  @Override
  public void close() {
    JniUtils.stopProfile(file.toString());
  }
}
