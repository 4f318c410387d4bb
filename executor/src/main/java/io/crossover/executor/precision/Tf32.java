package io.crossover.executor.precision;

import com.sun.jna.Pointer;

/**
 * TF32 for FP32 matrix products and convolutions on NVIDIA GPUs (Ampere and later), set in
 * libtorch's global context as {@code torch.backends.cuda.matmul.allow_tf32} does in Python. The
 * flags are process-wide and only read by CUDA kernels, so setting them on a CPU is harmless.
 */
public final class Tf32 {
  private Tf32() {}

  /** Allows (or forbids) TF32 in cuBLAS and cuDNN for this process. */
  public static void set(boolean allow) {
    Pointer context = context();
    Libtorch.function("_ZN2at7Context18setAllowTF32CuBLASEb")
        .invokeVoid(new Object[] {context, allow ? 1 : 0});
    Libtorch.function("_ZN2at7Context17setAllowTF32CuDNNEb")
        .invokeVoid(new Object[] {context, allow ? 1 : 0});
  }

  /** Whether cuBLAS may use TF32 in this process. */
  public static boolean cublas() {
    return Libtorch.bool(Libtorch.function("_ZNK2at7Context15allowTF32CuBLASEv"), context());
  }

  /** Whether cuDNN may use TF32 in this process. */
  public static boolean cudnn() {
    return Libtorch.bool(Libtorch.function("_ZNK2at7Context14allowTF32CuDNNEv"), context());
  }

  private static Pointer context() {
    return Libtorch.function("_ZN2at13globalContextEv").invokePointer(new Object[0]);
  }
}
