package io.crossover.driver.spark;

import io.crossover.data.config.ClusterConfig;
import io.crossover.data.ingest.IngestJob;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Builds the SparkSession of a command. Under spark-submit the master and settings that
 * spark-submit gives win; otherwise {@code cluster.master} is used, and the embedded default {@code
 * local-cluster[W,1,MB]} gets what it needs to start executor JVMs without a Spark distribution
 * (executor class path = this JVM's, Scala version, DJL settings).
 */
public final class SparkSessions {
  private SparkSessions() {}

  /** Creates (or joins) the session for a job named {@code app}. */
  public static SparkSession create(ClusterConfig cluster, String app) {
    SparkConf conf = new SparkConf(true);
    conf.setIfMissing("spark.master", cluster.master());
    conf.setAppName("crossover " + app);
    conf.set("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
    conf.set("spark.kryo.registrationRequired", "true");
    conf.registerKryoClasses(IngestJob.KRYO_CLASSES.toArray(new Class<?>[0]));
    conf.setIfMissing("spark.ui.enabled", "false");
    conf.setIfMissing("spark.executor.memory", cluster.executorMemory());
    conf.setIfMissing("spark.barrier.sync.timeout", cluster.barrierTimeoutSeconds() + "s");
    // Reproducible MKL results (independent of buffer alignment) on every executor.
    conf.setIfMissing("spark.executorEnv.MKL_CBWR", "AUTO,STRICT");
    for (Map.Entry<String, String> e : cluster.sparkConf().entrySet()) {
      conf.set(e.getKey(), e.getValue());
    }
    String master = conf.get("spark.master");
    if (master.startsWith("local-cluster")) {
      embeddedCluster(conf);
    }
    SparkSession session = SparkSession.builder().config(conf).getOrCreate();
    if (master.startsWith("local-cluster")) {
      awaitExecutors(JavaSparkContext.fromSparkContext(session.sparkContext()), master);
    }
    return session;
  }

  private static void embeddedCluster(SparkConf conf) {
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    conf.setIfMissing("spark.executor.extraClassPath", classPath);
    conf.setIfMissing("spark.executorEnv.SPARK_SCALA_VERSION", "2.13");
    if (System.getenv("SPARK_HOME") == null) {
      // Without a distribution's jars/ directory the worker refuses to launch executors.
      conf.setIfMissing("spark.executorEnv.SPARK_TESTING", "1");
    }
    conf.setIfMissing("spark.executorEnv.DJL_OFFLINE", "true");
    String djlCache = System.getenv("DJL_CACHE_DIR");
    if (djlCache != null) {
      conf.setIfMissing("spark.executorEnv.DJL_CACHE_DIR", djlCache);
    }
    conf.setIfMissing(
        "spark.executor.extraJavaOptions", "-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1");
  }

  private static void awaitExecutors(JavaSparkContext sc, String master) {
    int wanted = Integer.parseInt(master.replaceAll("local-cluster\\[\\s*(\\d+).*", "$1"));
    int started = awaitExecutors(sc, wanted, 120);
    if (started < wanted) {
      throw new IllegalStateException(
          "cluster.master="
              + master
              + ": only "
              + started
              + " of "
              + wanted
              + " executor JVMs started in 120 s; see the worker logs under work/");
    }
  }

  /**
   * Waits up to {@code seconds} until {@code wanted} executors have registered with the driver (a
   * cluster manager starts them after the context, a few seconds to minutes later); returns how
   * many have.
   */
  static int awaitExecutors(JavaSparkContext sc, int wanted, long seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (executors(sc) < wanted && System.nanoTime() < deadline) {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for executors", e);
      }
    }
    return executors(sc);
  }

  /** Executors registered now (the driver's own block manager is not one). */
  static int executors(JavaSparkContext sc) {
    return sc.sc().getExecutorMemoryStatus().size() - 1;
  }
}
