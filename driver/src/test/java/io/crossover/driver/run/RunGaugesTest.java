package io.crossover.driver.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.data.Json;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunGaugesTest {
  @Test
  void theLatestLinesWinAndEachNameIsAnnouncedOnce() throws Exception {
    List<String> announced = new ArrayList<>();
    RunGauges g = new RunGauges(announced::add);
    assertTrue(Double.isNaN(g.get("step")), "no value before the run reports one");
    g.step(Json.MAPPER.readTree("{\"step\":3,\"tokens_seen\":3072,\"loss\":4.5,\"epoch\":0.25}"));
    g.step(Json.MAPPER.readTree("{\"step\":4,\"tokens_seen\":4096,\"loss\":4.25,\"epoch\":0.5}"));
    g.eval(
        Json.MAPPER.readTree(
            "{\"step\":4,\"val_loss\":4.1,\"tasks\":{\"cloze\":{\"acc\":0.3,\"acc_norm\":0.35}}}"));
    g.eval(Json.MAPPER.readTree("{\"step\":8,\"val_loss\":3.9,\"tasks\":{}}"));
    assertEquals(4, g.get("step"));
    assertEquals(4096, g.get("tokens_seen"));
    assertEquals(4.25, g.get("loss"));
    assertEquals(3.9, g.get("eval_val_loss"));
    assertEquals(8, g.get("eval_step"));
    // The last evaluation without the task keeps the task's last value.
    assertEquals(0.3, g.get("eval_cloze_acc"));
    assertEquals(
        List.of(
            "step",
            "epoch",
            "tokens_seen",
            "loss",
            "eval_step",
            "eval_val_loss",
            "eval_cloze_acc",
            "eval_cloze_acc_norm"),
        announced);
  }
}
