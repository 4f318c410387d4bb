package io.crossover.data.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossover.data.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigRoundTripTest {
  /** config.json (what runs save and executors receive) reads back to the same records. */
  @Test
  void everyKeySurvivesJson() {
    for (String file : new String[] {null, "quickstart"}) {
      CrossoverConfig config =
          ConfigLoader.load(
              file,
              List.of(
                  "model.layers=3",
                  "eval.tasks=[\"a=mc:/x.jsonl\",\"b=mmlu:/y.csv\"]",
                  "cluster.spark-conf={\"spark.foo\"=\"bar\"}"));
      assertEquals(config, ConfigLoader.fromJson(ConfigLoader.toJson(config)));
    }
  }

  /** A config.json written before a key existed reads back with that key's default. */
  @Test
  void anOlderConfigJsonTakesDefaultsForNewerKeys() throws Exception {
    CrossoverConfig config = ConfigLoader.load(null, List.of("train.device=cpu"));
    ObjectNode tree = (ObjectNode) Json.MAPPER.readTree(ConfigLoader.toJson(config));
    ((ObjectNode) tree.get("train")).remove("device");
    CrossoverConfig old = ConfigLoader.fromJson(tree.toString());
    assertEquals("auto", old.train().device());
    assertEquals(config.budget(), old.budget());
  }

  /** Runs saved before grouped heads and recomputation read back as what they were. */
  @Test
  void aConfigJsonWithoutKvHeadsOrRecomputeIsMultiHeadWithoutRecompute() throws Exception {
    CrossoverConfig config = ConfigLoader.load(null, List.of("model.heads=2"));
    ObjectNode tree = (ObjectNode) Json.MAPPER.readTree(ConfigLoader.toJson(config));
    ((ObjectNode) tree.get("model")).remove("kv-heads");
    ((ObjectNode) tree.get("train")).remove("recompute");
    CrossoverConfig old = ConfigLoader.fromJson(tree.toString());
    assertEquals(2, old.model().kvHeads());
    assertEquals(TrainConfig.Recompute.NONE, old.train().recompute());
    assertEquals(config, old);
  }
}
