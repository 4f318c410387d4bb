package io.crossover.driver.spark;

import io.crossover.data.config.ClusterConfig;
import io.crossover.driver.process.Environment;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.SparkSession;

/** The doctor's probe of the executors: one Spark task per rank reports its JVM's environment. */
public final class ExecutorEnvironments {
  private ExecutorEnvironments() {}

  /** Each task's report, in task order, from a job of {@code cluster.world-size} tasks. */
  public static List<String> ask(ClusterConfig cluster, String device) {
    SparkSession spark = SparkSessions.create(cluster, "doctor");
    try {
      int w = cluster.worldSize();
      List<Integer> tasks = new ArrayList<>();
      for (int i = 0; i < w; i++) {
        tasks.add(i);
      }
      return JavaSparkContext.fromSparkContext(spark.sparkContext())
          .parallelize(tasks, w)
          .map(new OnExecutor(device))
          .collect();
    } finally {
      spark.stop();
    }
  }

  /** Runs {@link Environment#report} in a task, with the GPUs Spark assigned to it. */
  private static final class OnExecutor implements Function<Integer, String>, Serializable {
    private static final long serialVersionUID = 1L;
    private final String device;

    OnExecutor(String device) {
      this.device = device;
    }

    @Override
    public String call(Integer task) {
      TaskContext ctx = TaskContext.get();
      ResourceInformation gpu = ctx.resourcesJMap().get("gpu");
      Map<String, String> out = new LinkedHashMap<>();
      out.put("executor", SparkEnv.get().executorId());
      out.put("spark task gpus", gpu == null ? "none" : String.join(",", gpu.addresses()));
      out.putAll(Environment.report(device, gpu == null ? List.of() : List.of(gpu.addresses())));
      return Environment.format(out);
    }
  }
}
