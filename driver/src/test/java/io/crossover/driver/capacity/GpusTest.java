package io.crossover.driver.capacity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GpusTest {
  @ParameterizedTest
  @CsvSource({
    "NVIDIA H100 80GB HBM3, H100 SXM",
    "NVIDIA H100 PCIe, ''",
    "NVIDIA H100 NVL, ''",
    "NVIDIA A100-SXM4-80GB, A100 SXM",
    "NVIDIA L40S, L40S",
    "NVIDIA L4, L4",
    "NVIDIA A10, ''",
    "Tesla T4, ''",
    "NVIDIA GeForce RTX 4090, ''"
  })
  void nvidiaSmisNamesFindTheKindsThePlannerKnows(String productName, String kind) {
    assertEquals(
        kind.isEmpty() ? Optional.empty() : Optional.of(kind),
        Gpus.named(productName).map(Device::name));
  }
}
