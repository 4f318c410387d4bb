package io.crossover.executor.precision;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import io.crossover.data.config.TrainConfig.PrecisionSetting;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The precision a forward pass computes in. {@code BF16} is libtorch's autocast ({@link Autocast}):
 * matrix products and attention in bf16 (the softmax accumulating in FP32 inside its kernel),
 * everything the model keeps or reduces over (weights, gradients, optimiser state, the residual
 * stream, norms, the loss) in FP32.
 */
public enum Precision {
  FP32,
  BF16;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** A resolved setting and, for people, why. */
  public record Resolved(Precision precision, String why) {
    @Override
    public String toString() {
      return precision.label() + " (" + why + ")";
    }
  }

  /** {@code setting} on {@code device}: {@code AUTO} becomes bf16 where the hardware has it. */
  public static Resolved resolve(PrecisionSetting setting, Device device) {
    return resolve(setting, device, Hardware.of(device));
  }

  /** {@code setting} on hardware that has (or lacks) native bf16: for planning. */
  public static Precision planned(PrecisionSetting setting, boolean bf16Hardware) {
    return resolve(setting, null, new Hardware(bf16Hardware, "planned")).precision();
  }

  static Resolved resolve(PrecisionSetting setting, Device device, Hardware hardware) {
    return switch (setting) {
      case FP32 -> new Resolved(FP32, "set");
      case BF16 ->
          new Resolved(
              BF16,
              hardware.bf16()
                  ? "set; " + hardware.why()
                  : "set, but " + hardware.why() + ": bf16 is emulated and slower than fp32 here");
      case AUTO -> new Resolved(hardware.bf16() ? BF16 : FP32, "auto: " + hardware.why());
    };
  }

  /** Whether a device computes bf16 natively, and the evidence. */
  record Hardware(boolean bf16, String why) {
    static Hardware of(Device device) {
      if (device.isGpu()) {
        return gpu(device.getDeviceId());
      }
      return cpu(cpuFlags());
    }

    static Hardware gpu(int id) {
      String cc = CudaUtils.getComputeCapability(id);
      int major = cc == null || cc.isEmpty() ? 0 : Integer.parseInt(cc) / 10;
      return new Hardware(
          major >= 8,
          "GPU "
              + id
              + " has compute capability "
              + major
              + "."
              + (cc == null || cc.isEmpty() ? "?" : cc.substring(cc.length() - 1))
              + (major >= 8 ? " (bf16 tensor cores)" : ", below 8.0 (no bf16 tensor cores)"));
    }

    static Hardware cpu(Set<String> flags) {
      if (flags.contains("amx_bf16")) {
        return new Hardware(true, "the CPU has AMX bf16");
      }
      if (flags.contains("avx512_bf16")) {
        return new Hardware(true, "the CPU has avx512_bf16");
      }
      return new Hardware(false, "the CPU has neither avx512_bf16 nor AMX");
    }

    /** The flags of the first processor in /proc/cpuinfo (empty where there is none). */
    static Set<String> cpuFlags() {
      Set<String> flags = new TreeSet<>();
      try {
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
          if (line.startsWith("flags")) {
            for (String f : line.substring(line.indexOf(':') + 1).trim().split("\\s+")) {
              flags.add(f);
            }
            break;
          }
        }
      } catch (IOException e) {
        // Not Linux: no evidence of bf16, so auto stays FP32.
      }
      return flags;
    }
  }
}
