package io.crossover.driver.spark;

import io.crossover.data.config.ConfigException;
import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.plan.TokenPlan;
import io.crossover.driver.run.MetricsTail;
import io.crossover.driver.run.RunDir;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.SparkSession;
import scala.reflect.ClassTag$;

/**
 * Data-parallel training on Spark: one barrier stage with one task per rank. Impossible launches
 * are refused before the stage; rank 0's metrics are followed live from the run directory. When an
 * executor dies, Spark retries the whole stage and every rank resumes from the latest checkpoint.
 */
public final class DistributedTrain {
  /** Masters whose executors register after the context starts. */
  private static final Pattern CLUSTER_MANAGER = Pattern.compile("spark://|k8s://|yarn");

  private static final String WAIT_KEY = "spark.scheduler.maxRegisteredResourcesWaitingTime";
  private static final long DEFAULT_WAIT_SECONDS = 120;

  private DistributedTrain() {}

  /**
   * Runs the stage to the end of the plan (or an early stop); returns the steps done, and tells
   * {@code progress} each step rank 0 logs. Every attempt resumes from the run directory's latest
   * checkpoint, which a fresh run does not have. A {@code shared} session is used and left open;
   * without one the run makes and stops its own.
   */
  public static long run(
      CrossoverConfig c,
      RunDir runDir,
      TokenPlan plan,
      SparkSession shared,
      LongConsumer progress) {
    int w = c.cluster().worldSize();
    SparkSession spark =
        shared != null ? shared : SparkSessions.create(c.cluster(), "train " + c.run().name());
    TrainingSource source = new TrainingSource(c.run().name()).register();
    MetricsTail tail = new MetricsTail(runDir, progress, source.gauges());
    try {
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      preflight(sc, w);
      byte[] secret = new byte[32];
      new SecureRandom().nextBytes(secret);
      List<Integer> ranks = new ArrayList<>();
      for (int r = 0; r < w; r++) {
        ranks.add(r);
      }
      tail.start();
      RDD<String> stage =
          sc.parallelize(ranks, w)
              .rdd()
              .barrier()
              .mapPartitions(
                  new RankTask(
                      ConfigLoader.toJson(c),
                      runDir.path().toString(),
                      runDir.fence() == null ? 0 : runDir.fence().generation(),
                      secret),
                  false,
                  ClassTag$.MODULE$.apply(String.class));
      long done = Long.MAX_VALUE;
      // A shuffle after the barrier stage makes it a map stage, which Spark retries after a
      // task failure (a failed barrier result stage would abort the job instead).
      for (String r : stage.toJavaRDD().repartition(1).collect()) {
        done = Math.min(done, Long.parseLong(r.substring(r.indexOf(':') + 1)));
      }
      return done;
    } finally {
      // Each step runs even when the one before it fails.
      try {
        tail.stop();
      } finally {
        try {
          source.close();
        } finally {
          if (shared == null) {
            spark.stop();
          }
        }
      }
    }
  }

  /** Refuses launches that cannot work, naming the setting. */
  static void preflight(JavaSparkContext sc, int worldSize) {
    SparkConf conf = sc.getConf();
    if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
      throw new ConfigException(
          "cluster.spark-conf",
          "\"spark.dynamicAllocation.enabled\" is true; a barrier stage needs a fixed set of"
              + " executors: set it to false");
    }
    int executorCores = conf.getInt("spark.executor.cores", 1);
    int taskCpus = conf.getInt("spark.task.cpus", 1);
    if (taskCpus != executorCores) {
      throw new ConfigException(
          "cluster.spark-conf",
          "\"spark.task.cpus\"="
              + taskCpus
              + " differs from \"spark.executor.cores\"="
              + executorCores
              + "; one training task per executor JVM (libtorch's gradient state is per JVM): set"
              + " spark.task.cpus to the executor cores");
    }
    int executors = SparkSessions.executors(sc);
    String master = conf.get("spark.master", "");
    long waited = 0;
    if (executors < worldSize && CLUSTER_MANAGER.matcher(master).lookingAt()) {
      // A cluster manager registers executors after the context starts: wait for them, at most
      // spark.scheduler.maxRegisteredResourcesWaitingTime, or 2 minutes where it is not set
      // (Spark's own 30 s default is shorter than pods and worker JVMs may take to start).
      waited = conf.contains(WAIT_KEY) ? conf.getTimeAsSeconds(WAIT_KEY) : DEFAULT_WAIT_SECONDS;
      System.out.printf(
          "waiting up to %d s for %d executors to register (%d so far)%n",
          waited, worldSize, executors);
      executors = SparkSessions.awaitExecutors(sc, worldSize, waited);
    }
    if (executors < worldSize) {
      throw new ConfigException(
          "cluster.world-size",
          "value "
              + worldSize
              + " needs "
              + worldSize
              + " executors with one task slot each, but"
              + " the cluster has "
              + executors
              + (waited > 0 ? " after " + waited + " s (" + WAIT_KEY + ")" : "")
              + "; lower it or give the job more executors"
              + (waited > 0
                  ? " (spark.executor.instances="
                      + worldSize
                      + ", and check that they can start: on Kubernetes, executor pods left"
                      + " Pending)"
                  : " (e.g. --set cluster.master=local-cluster[" + worldSize + ",1,1024])"));
    }
  }
}
