package io.crossover.driver.run;

import io.crossover.data.Failure;
import io.crossover.data.Json;
import io.crossover.data.Sha256;
import io.crossover.data.UserException;
import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.IdentityKeys;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * What a run is, fixed when its directory is created: every config key that changes what is trained
 * or measured, the SHA-256 of the dataset's manifest (which lists every shard's) and of each
 * evaluation task file. Resuming with any of them different would mix two experiments in one
 * directory, so it is refused, naming each difference.
 *
 * <p>{@link #MAY_CHANGE} is the one list of keys that may differ on resume: they change how a run
 * goes (where, how fast, how often it logs or checkpoints), never its numbers.
 */
public final class RunIdentity {
  /** File in the run directory with the hashes; config.json holds the keys. */
  static final String FILE = "identity.json";

  /** Keys (and key prefixes, ending in '.') that a resumed run may change. */
  static final List<String> MAY_CHANGE = IdentityKeys.MAY_CHANGE;

  /**
   * The hashes of what the config points to.
   *
   * @param datasetManifestSha256 SHA-256 of the dataset's manifest.json
   * @param tasks SHA-256 of each evaluation task file, by the task's spec
   */
  public record Hashes(String datasetManifestSha256, Map<String, String> tasks) {
    public Hashes {
      tasks = Map.copyOf(tasks);
    }

    /** The hashes for {@code config} (its paths already qualified) and its open dataset. */
    public static Hashes of(
        CrossoverConfig config, String datasetManifestSha256, Configuration hadoop) {
      Map<String, String> tasks = new TreeMap<>();
      for (String spec : config.eval().tasks()) {
        Path file = new Path(spec.substring(spec.indexOf(':', spec.indexOf('=')) + 1));
        try {
          tasks.put(spec, Sha256.hex(file.getFileSystem(hadoop), file));
        } catch (FileNotFoundException e) {
          throw new UserException("eval.tasks: " + file + " does not exist", e);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
      }
      return new Hashes(datasetManifestSha256, tasks);
    }
  }

  private RunIdentity() {}

  static boolean mayChange(String key) {
    return IdentityKeys.mayChange(key);
  }

  /**
   * Each identity difference between a run's saved config and hashes and the ones given now, as
   * {@code key: run X, now Y}; empty when the run may go on with {@code now}.
   */
  static List<String> differences(
      String savedConfigJson, Hashes saved, CrossoverConfig now, Hashes nowHashes) {
    // Read back and written again, so that keys added since the run was made take their defaults.
    Map<String, String> before =
        Json.flatten(ConfigLoader.toJson(ConfigLoader.fromJson(savedConfigJson)));
    Map<String, String> after = Json.flatten(ConfigLoader.toJson(now));
    List<String> out = new ArrayList<>();
    TreeMap<String, String> keys = new TreeMap<>(before);
    after.forEach(keys::putIfAbsent);
    for (String key : keys.keySet()) {
      String a = before.getOrDefault(key, "(none)");
      String b = after.getOrDefault(key, "(none)");
      if (!a.equals(b) && !mayChange(key)) {
        out.add(key + ": run " + a + ", now " + b);
      }
    }
    if (saved != null) {
      if (!saved.datasetManifestSha256().equals(nowHashes.datasetManifestSha256())) {
        out.add(
            "data.dataset contents (manifest.json SHA-256): run "
                + saved.datasetManifestSha256().substring(0, 16)
                + "…, now "
                + nowHashes.datasetManifestSha256().substring(0, 16)
                + "… (the dataset was ingested again)");
      }
      for (Map.Entry<String, String> t : nowHashes.tasks().entrySet()) {
        String was = saved.tasks().get(t.getKey());
        if (was != null && !was.equals(t.getValue())) {
          out.add("eval.tasks file " + t.getKey() + ": its contents changed (SHA-256)");
        }
      }
    }
    return out;
  }

  /** The refusal to resume a run with a different identity: exit 2, each difference listed. */
  static UserException refusal(
      String runDir, List<String> differences, String action, String startAgain) {
    StringBuilder m =
        new StringBuilder("run.name: ")
            .append(runDir)
            .append(" was made with other settings; ")
            .append(action)
            .append(" would mix two experiments in one run directory:");
    for (String d : differences) {
      m.append("\n  ").append(d);
    }
    m.append(
        "\n"
            + Character.toUpperCase(startAgain.charAt(0))
            + startAgain.substring(1)
            + ". (Only these may change on resume: "
            + String.join(", ", MAY_CHANGE).replace(".,", ".*,")
            + ".)");
    return new UserException(m.toString());
  }

  static String toJson(Hashes h) {
    return Json.write(h);
  }

  static Hashes fromJson(String json) {
    try {
      return Json.MAPPER.readValue(json, Hashes.class);
    } catch (IOException e) {
      throw new Failure(FILE + " is not readable: " + e.getMessage(), e);
    }
  }
}
