package io.crossover.driver.spark;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import io.crossover.driver.run.RunGauges;
import org.apache.spark.SparkEnv;
import org.apache.spark.metrics.source.Source;

/**
 * One training run's figures in Spark's metrics system, on the driver: a gauge per figure of {@link
 * RunGauges} (step, tokens seen, epoch, loss, tokens/s, ... and the last evaluation's), named
 * {@code crossover.<run>.train.<figure>}, so that every sink the cluster configures (the Prometheus
 * servlet, JMX, CSV, Graphite) sees the run while it trains. Registered for the run's duration.
 */
public final class TrainingSource implements Source, AutoCloseable {
  private final String name;
  private final MetricRegistry registry = new MetricRegistry();
  private final RunGauges gauges = new RunGauges(this::expose);
  private boolean registered;

  public TrainingSource(String runName) {
    // Sinks split and re-join names on dots: a run's own dots would read as levels. The ".train"
    // ends the name because Spark removes a source's metrics by prefix: without it, closing run
    // "x-s1" would remove the gauges of a parallel "x-s10".
    this.name = "crossover." + runName.replaceAll("[^A-Za-z0-9_-]", "_") + ".train";
    for (String figure : RunGauges.STEP) {
      expose(figure);
    }
  }

  /** What the run's tail feeds. */
  public RunGauges gauges() {
    return gauges;
  }

  private void expose(String figure) {
    synchronized (registry) {
      if (!registry.getNames().contains(figure)) {
        registry.register(figure, (Gauge<Double>) () -> gauges.get(figure));
      }
    }
  }

  /** Adds this source to the driver's metrics system (none outside a Spark driver). */
  public TrainingSource register() {
    SparkEnv env = SparkEnv.get();
    if (env != null) {
      env.metricsSystem().registerSource(this);
      registered = true;
    }
    return this;
  }

  @Override
  public String sourceName() {
    return name;
  }

  @Override
  public MetricRegistry metricRegistry() {
    return registry;
  }

  @Override
  public void close() {
    SparkEnv env = SparkEnv.get();
    if (registered && env != null) {
      env.metricsSystem().removeSource(this);
      registered = false;
    }
  }
}
