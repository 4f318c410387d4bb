package io.crossover.driver.process;

import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.DataConfig;
import io.crossover.data.config.EvalConfig;
import io.crossover.data.config.RunConfig;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Makes every path of a config absolute on the driver (scheme and authority included) before it
 * travels to executors, whose working directories are elsewhere. Relative paths that do not exist
 * here but exist in the installation (the shipped corpus and tasks) resolve there.
 */
public final class QualifiedPaths {
  private QualifiedPaths() {}

  public static CrossoverConfig of(CrossoverConfig c, Configuration hadoop) {
    DataConfig d = c.data();
    String tokenizer =
        d.tokenizer().startsWith("hf:")
            ? "hf:" + qualify(d.tokenizer().substring(3), hadoop)
            : d.tokenizer();
    DataConfig data =
        new DataConfig(
            qualify(d.dataset(), hadoop),
            tokenizer,
            d.input(),
            d.shardTokens(),
            d.batchTokens(),
            d.validation(),
            d.ingestPartitions(),
            d.clozeItems(),
            d.clozeSeed());
    RunConfig run = new RunConfig(c.run().seed(), qualify(c.run().root(), hadoop), c.run().name());
    EvalConfig e = c.eval();
    List<String> tasks = new ArrayList<>();
    for (String spec : e.tasks()) {
      int colon = spec.indexOf(':', spec.indexOf('='));
      tasks.add(spec.substring(0, colon + 1) + qualify(spec.substring(colon + 1), hadoop));
    }
    EvalConfig eval = e.withTasks(tasks);
    return new CrossoverConfig(
        data,
        c.budget(),
        c.cluster(),
        c.reader(),
        run,
        c.model(),
        c.objective(),
        c.optim(),
        c.train(),
        eval);
  }

  public static String qualify(String path, Configuration hadoop) {
    if (!path.contains(":") && !new File(path).isAbsolute() && !new File(path).exists()) {
      File shipped = new File(Invocation.home(), path);
      if (shipped.exists()) {
        path = shipped.getAbsolutePath();
      }
    }
    try {
      Path p = new Path(path);
      return p.getFileSystem(hadoop).makeQualified(p).toString();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve " + path + ": " + e.getMessage(), e);
    }
  }
}
