package io.crossover.data.config;

import java.io.Serializable;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where Spark runs.
 *
 * @param master a Spark master URL; the default {@code local-cluster[2,1,1024]} starts separate
 *     executor JVMs on this machine, the same code path as a real cluster
 * @param worldSize W, data-parallel ranks (one barrier task each)
 * @param executorMemory memory per executor JVM, e.g. {@code 1g}
 * @param sparkConf any further Spark settings, passed through unchanged
 * @param allreduceTimeoutSeconds how long a rank waits for data from its ring neighbour before it
 *     fails the stage (must cover rank 0's evaluations, which the others wait for)
 * @param allreducePieceBytes size of the pieces a chunk is streamed in
 * @param barrierTimeoutSeconds bound on the barrier rendezvous (spark.barrier.sync.timeout)
 * @param collective how gradients are summed across ranks: {@code ring} (TCP ring all-reduce,
 *     executor to executor)
 * @param bucketBytes gradients leave a rank in buckets of at most this many bytes, each all-reduced
 *     as soon as the backward pass has finished its layers
 */
public record ClusterConfig(
    String master,
    int worldSize,
    String executorMemory,
    Map<String, String> sparkConf,
    int allreduceTimeoutSeconds,
    int allreducePieceBytes,
    int barrierTimeoutSeconds,
    Collective collective,
    long bucketBytes)
    implements Serializable {

  /** The collective backends. */
  public enum Collective {
    RING
  }

  /** The most ranks cluster.world-size allows. */
  public static final int MAX_WORLD_SIZE = 65_536;

  public ClusterConfig {
    sparkConf = Map.copyOf(sparkConf);
  }

  static ClusterConfig from(Keys k) {
    String memory = k.nonEmpty("cluster.executor-memory", "write e.g. 1g");
    String problem = MemorySizes.problem(memory);
    if (problem != null) {
      throw new ConfigException(
          "cluster.executor-memory",
          "value \"" + memory + "\" " + problem + "; write e.g. 1024m or 4g");
    }
    return new ClusterConfig(
        master(
            k.nonEmpty(
                "cluster.master", "write e.g. local-cluster[2,1,1024] or spark://host:7077")),
        k.integer("cluster.world-size", 1, MAX_WORLD_SIZE),
        memory,
        k.openMap("cluster.spark-conf"),
        k.integer("cluster.allreduce-timeout-seconds", 1, 86_400),
        k.integer("cluster.allreduce-piece-bytes", 64, 1 << 30),
        k.integer("cluster.barrier-timeout-seconds", 1, 86_400),
        k.choice("cluster.collective", Collective.class),
        k.count("cluster.bucket-bytes", 4096, 1L << 30));
  }

  /** The master URL forms Spark 4 accepts; anything else fails before a session starts. */
  private static final Pattern MASTER =
      Pattern.compile(
          "local(\\[(\\*|[1-9][0-9]*)(,[1-9][0-9]*)?])?"
              + "|local-cluster\\[ *[1-9][0-9]* *, *[1-9][0-9]* *, *[1-9][0-9]* *]"
              + "|spark://[^/\\s:,]+:[0-9]+(,[^/\\s:,]+:[0-9]+)*"
              + "|yarn"
              + "|k8s://(https?://)?[^/\\s:]+(:[0-9]+)?/?");

  static String master(String value) {
    if (!MASTER.matcher(value).matches()) {
      throw new ConfigException(
          "cluster.master",
          "value \""
              + value
              + "\" is not a Spark master URL; use local[N], local-cluster[W,cores,MB],"
              + " spark://host:7077, yarn or k8s://https://host:443");
    }
    return value;
  }
}
