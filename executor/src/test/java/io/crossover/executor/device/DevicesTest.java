package io.crossover.executor.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.crossover.data.config.ConfigException;
import io.crossover.executor.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** train.device against what Spark assigned and what libtorch sees. */
class DevicesTest {
  @Test
  void autoTakesTheTasksGpuElseGpuZeroElseTheCpu() {
    assertEquals(Device.gpu(3), Devices.select("auto", List.of("3"), 4));
    assertEquals(Device.gpu(0), Devices.select("auto", List.of(), 2));
    assertEquals(Device.cpu(), Devices.select("auto", List.of(), 0));
    assertEquals(Device.cpu(), Devices.select("cpu", List.of("1"), 2));
    assertEquals(Device.gpu(1), Devices.select("gpu", List.of("1"), 2));
    assertEquals(Device.gpu(1), Devices.select("GPU:1", List.of(), 2));
  }

  @Test
  void aGpuThatLibtorchCannotSeeIsRefusedWithTheFix() {
    ConfigException e =
        assertThrows(ConfigException.class, () -> Devices.select("auto", List.of("0"), 0));
    assertTrue(e.getMessage().contains("train.device"), e.getMessage());
    assertTrue(e.getMessage().contains("assigned by Spark: [0]"), e.getMessage());
    assertTrue(e.getMessage().contains("-Pcuda"), e.getMessage());
    assertThrows(ConfigException.class, () -> Devices.select("gpu:2", List.of(), 2));
    assertThrows(ConfigException.class, () -> Devices.select("auto", List.of("gpu-a"), 2));
  }

  @Test
  void theConfigRefusesOtherSpellings() {
    assertEquals("gpu:1", TestModels.config("train.device=GPU:1").train().device());
    ConfigException e =
        assertThrows(ConfigException.class, () -> TestModels.config("train.device=cuda"));
    assertTrue(e.getMessage().contains("use auto, cpu, gpu or gpu:N"), e.getMessage());
  }

  @Test
  void onThisMachineAutoIsWhatLibtorchSees() {
    Device d = Devices.select("auto", List.of());
    assertEquals(Engine.getInstance().getGpuCount() > 0 ? Device.gpu(0) : Device.cpu(), d);
  }
}
