package io.crossover.executor.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.crossover.data.config.TrainConfig.PrecisionSetting;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PrecisionTest {
  @Test
  void autoPicksBf16ExactlyWhereTheHardwareHasIt() {
    Precision.Hardware amx = Precision.Hardware.cpu(Set.of("avx512f", "amx_bf16"));
    Precision.Hardware avx = Precision.Hardware.cpu(Set.of("avx512f", "avx512_bf16"));
    Precision.Hardware none = Precision.Hardware.cpu(Set.of("avx2", "fma"));
    assertEquals(
        Precision.BF16, Precision.resolve(PrecisionSetting.AUTO, Device.cpu(), amx).precision());
    assertEquals(
        Precision.BF16, Precision.resolve(PrecisionSetting.AUTO, Device.cpu(), avx).precision());
    Precision.Resolved fallback = Precision.resolve(PrecisionSetting.AUTO, Device.cpu(), none);
    assertEquals(Precision.FP32, fallback.precision());
    assertTrue(fallback.why().contains("avx512_bf16"), fallback.why());
    assertEquals(
        Precision.FP32, Precision.resolve(PrecisionSetting.FP32, Device.cpu(), amx).precision());
    assertEquals(
        Precision.BF16, Precision.resolve(PrecisionSetting.BF16, Device.cpu(), none).precision());
  }

  @Test
  void tf32FlagsFollowTheSetting() {
    boolean before = Tf32.cublas();
    try {
      Tf32.set(true);
      assertTrue(Tf32.cublas());
      assertTrue(Tf32.cudnn());
      Tf32.set(false);
      assertFalse(Tf32.cublas());
      assertFalse(Tf32.cudnn());
    } finally {
      Tf32.set(before);
    }
  }
}
