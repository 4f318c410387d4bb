package io.crossover.executor.precision;

import ai.djl.Device;
import com.sun.jna.Function;

/**
 * libtorch's own mixed precision (autocast), switched on and off through JNA: DJL 0.33 has no API
 * for it, but the libtorch it loads exports {@code at::autocast::set_autocast_enabled}, {@code
 * set_autocast_dtype} and {@code clear_cache}. Inside a region, matrix products (and scaled
 * dot-product attention) of FP32 tensors compute in bf16; other ops keep their inputs' type. The
 * model upcasts each product to FP32 before any DJL call that reads a tensor's type (DJL 0.33 maps
 * only type ordinals 0-8 and aborts the JVM on bf16). Weights, gradients and optimiser state stay
 * FP32. The state is per thread, like grad mode; a region is closed in {@code finally} by
 * try-with-resources, so an exception never leaves autocast on.
 */
public final class Autocast implements AutoCloseable {
  // Arguments travel as ints: JNA widens them to registers as the C++ ABI expects for enum
  // classes and bool (a Byte or Boolean argument did not reach libtorch as the value meant).
  private static final int CPU = 0;
  private static final int CUDA = 1;
  private static final int BFLOAT16 = 15;

  private static volatile Functions functions;

  private final int device;
  private boolean open;

  private Autocast(int device) {
    this.device = device;
  }

  /**
   * Turns autocast on for {@code device} in this thread until {@link #close()} when {@code
   * precision} is bf16; for FP32 a region that does nothing (so callers need no branch).
   */
  public static Autocast open(Device device, Precision precision) {
    Autocast a = new Autocast(device.isGpu() ? CUDA : CPU);
    if (precision == Precision.BF16) {
      Functions f = functions();
      f.setDtype.invokeVoid(new Object[] {a.device, BFLOAT16});
      f.setEnabled.invokeVoid(new Object[] {a.device, 1});
      a.open = true;
    }
    return a;
  }

  /**
   * Turns autocast off for {@code device} in this thread until {@link #close()} turns it back on,
   * keeping the cached weight casts: for one op that must run in FP32 inside a bf16 region. Does
   * nothing when autocast is off.
   */
  public static Suspended suspend(Device device) {
    int kind = device.isGpu() ? CUDA : CPU;
    Functions f = functions();
    if (!Libtorch.bool(f.isEnabled, kind)) {
      return () -> {};
    }
    f.setEnabled.invokeVoid(new Object[] {kind, 0});
    return () -> f.setEnabled.invokeVoid(new Object[] {kind, 1});
  }

  /** A suspension of autocast, ended by {@link #close()}. */
  @FunctionalInterface
  public interface Suspended extends AutoCloseable {
    @Override
    void close();
  }

  /** Whether autocast is on for {@code device} in this thread. */
  public static boolean enabled(Device device) {
    return Libtorch.bool(functions().isEnabled, device.isGpu() ? CUDA : CPU);
  }

  /** Ends the region: autocast off, and the cached bf16 copies of the weights dropped. */
  @Override
  public void close() {
    if (open) {
      Functions f = functions();
      f.setEnabled.invokeVoid(new Object[] {device, 0});
      // The cache holds bf16 casts of the weights; after the optimiser step they are stale.
      f.clearCache.invokeVoid(new Object[0]);
      open = false;
    }
  }

  private record Functions(
      Function setEnabled, Function isEnabled, Function setDtype, Function clearCache) {}

  private static Functions functions() {
    Functions f = functions;
    if (f == null) {
      f =
          new Functions(
              Libtorch.function("_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb"),
              Libtorch.function("_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE"),
              Libtorch.function(
                  "_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE"),
              Libtorch.function("_ZN2at8autocast11clear_cacheEv"));
      functions = f;
    }
    return f;
  }
}
