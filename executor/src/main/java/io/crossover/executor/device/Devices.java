package io.crossover.executor.device;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.crossover.data.config.ConfigException;
import java.util.List;
import java.util.Locale;

/**
 * Which device a rank trains on, from {@code train.device} and the GPUs Spark assigned to its task
 * ({@code TaskContext.resources().get("gpu")}): {@code auto} takes the task's first GPU, else GPU 0
 * when libtorch sees one, else the CPU; {@code cpu}; {@code gpu} (the task's, or 0); {@code gpu:N}.
 */
public final class Devices {
  private Devices() {}

  /**
   * The device for {@code setting}.
   *
   * @param assigned the GPU addresses Spark gave the task (empty outside Spark or without GPUs)
   * @param visible the GPUs libtorch sees in this JVM
   */
  public static Device select(String setting, List<String> assigned, int visible) {
    String s = setting.trim().toLowerCase(Locale.ROOT);
    if (s.equals("cpu")) {
      return Device.cpu();
    }
    if (s.equals("auto") && assigned.isEmpty()) {
      return visible > 0 ? Device.gpu(0) : Device.cpu();
    }
    int id;
    if (s.startsWith("gpu:")) {
      id = Integer.parseInt(s.substring(4));
    } else if (s.equals("gpu") || s.equals("auto")) {
      id = assigned.isEmpty() ? 0 : parseAddress(assigned.get(0));
    } else {
      throw new ConfigException(
          "train.device", "\"" + setting + "\" is not auto, cpu, gpu or gpu:N");
    }
    if (id >= visible) {
      throw new ConfigException(
          "train.device",
          "needs GPU "
              + id
              + (assigned.isEmpty() ? "" : " (assigned by Spark: " + assigned + ")")
              + " but libtorch sees "
              + visible
              + " GPU(s) in this executor; use the CUDA natives (build with -Pcuda, or the"
              + " image's TORCH_FLAVOR=cu128) or set train.device=cpu");
    }
    return Device.gpu(id);
  }

  /** The device for {@code setting} in this JVM, with the GPUs libtorch sees here. */
  public static Device select(String setting, List<String> assigned) {
    return select(setting, assigned, Engine.getInstance().getGpuCount());
  }

  private static int parseAddress(String address) {
    try {
      return Integer.parseInt(address.trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(
          "train.device",
          "auto: Spark assigned GPU address \"" + address + "\", which is not a CUDA index");
    }
  }
}
