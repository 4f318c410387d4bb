package io.crossover.executor.precision;

import ai.djl.engine.Engine;
import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Functions of the libtorch that DJL loaded, for the switches DJL 0.33 has no API for (autocast,
 * TF32). They must come from the very copy DJL uses: a second libtorch would hold its own switches.
 */
final class Libtorch {
  private static volatile NativeLibrary library;

  private Libtorch() {}

  /** The exported C++ function {@code symbol} (its mangled name) of libtorch_cpu. */
  static Function function(String symbol) {
    NativeLibrary lib = library;
    if (lib == null) {
      synchronized (Libtorch.class) {
        if (library == null) {
          library = NativeLibrary.getInstance(loaded("libtorch_cpu.so"));
        }
        lib = library;
      }
    }
    return lib.getFunction(symbol);
  }

  /** The path of a library this process has mapped (the one DJL loaded). */
  static String loaded(String name) {
    // Make sure DJL has loaded its natives first.
    Engine.getEngine("PyTorch");
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/maps"), StandardCharsets.UTF_8)) {
        int slash = line.indexOf('/');
        if (slash >= 0 && line.endsWith("/" + name)) {
          return line.substring(slash);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/self/maps to find " + name, e);
    }
    throw new IllegalStateException(
        name + " is not loaded in this process; bf16 and TF32 need the libtorch that DJL loads");
  }

  /** A C++ {@code bool} result: only its low byte is defined. */
  static boolean bool(Function f, Object... args) {
    return (((Integer) f.invoke(Integer.class, args)) & 0xff) != 0;
  }
}
