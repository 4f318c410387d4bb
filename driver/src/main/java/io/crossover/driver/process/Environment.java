package io.crossover.driver.process;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import io.crossover.data.config.TrainConfig;
import io.crossover.executor.device.Devices;
import io.crossover.executor.precision.Autocast;
import io.crossover.executor.precision.Precision;
import io.crossover.executor.precision.Tf32;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.hadoop.util.VersionInfo;

/**
 * What {@code crossover doctor} reports about a JVM: host, Java, Spark, Hadoop, Arrow, DJL and
 * libtorch versions, the natives on the class path and the ones loaded, devices, threads and the
 * environment variables that change them.
 */
public final class Environment {
  private Environment() {}

  public static Map<String, String> report(String device, List<String> gpus) {
    Map<String, String> out = new LinkedHashMap<>();
    Runtime rt = Runtime.getRuntime();
    out.put("host", host());
    out.put(
        "java",
        System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
    out.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    out.put("cpus", Integer.toString(rt.availableProcessors()));
    out.put("max heap", rt.maxMemory() / (1 << 20) + " MiB");
    out.put("spark", org.apache.spark.package$.MODULE$.SPARK_VERSION());
    out.put("hadoop", VersionInfo.getVersion());
    out.put("arrow", version(VectorSchemaRoot.class));
    out.put("djl", Engine.getDjlVersion());
    out.put("natives on class path", nativeJars());
    try {
      Engine engine = Engine.getInstance();
      out.put("engine", engine.getEngineName() + " " + engine.getVersion());
      out.put("natives loaded", loadedTorch());
      out.put("gpus seen by libtorch", Integer.toString(engine.getGpuCount()));
      out.put("cuda", engine.hasCapability("CUDA") ? "yes" : "no");
      out.put(
          "torch threads",
          JniUtils.getNumThreads() + " intra-op, " + JniUtils.getNumInteropThreads() + " inter-op");
      try {
        Device selected = Devices.select(device, gpus);
        out.put("train.device=" + device, selected.toString());
        out.put(
            "precision auto",
            Precision.resolve(TrainConfig.PrecisionSetting.AUTO, selected).toString());
        try (Autocast region = Autocast.open(selected, Precision.BF16)) {
          out.put(
              "libtorch autocast",
              Autocast.enabled(selected) ? "reachable (switched on and off)" : "NOT switched on");
        }
        if (selected.isGpu()) {
          out.put("tf32 (cuBLAS, cuDNN)", Tf32.cublas() + ", " + Tf32.cudnn());
        }
      } catch (RuntimeException e) {
        out.put("train.device=" + device, "REFUSED: " + e.getMessage());
      }
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      out.put("engine", "FAILED to load: " + e);
    }
    for (String env :
        List.of("DJL_CACHE_DIR", "DJL_OFFLINE", "MKL_CBWR", "CUDA_VISIBLE_DEVICES", "SPARK_HOME")) {
      out.put("env " + env, String.valueOf(System.getenv(env)));
    }
    return out;
  }

  public static String format(Map<String, String> m) {
    StringBuilder out = new StringBuilder();
    m.forEach((k, v) -> out.append(String.format(Locale.ROOT, "  %-26s %s%n", k, v)));
    return out.toString();
  }

  /** Every PyTorch natives jar's flavor and version (CPU and CUDA can sit side by side). */
  private static String nativeJars() {
    List<String> out = new ArrayList<>();
    try {
      for (URL url :
          Collections.list(
              Environment.class.getClassLoader().getResources("native/lib/pytorch.properties"))) {
        Properties p = new Properties();
        try (var in = url.openStream()) {
          p.load(in);
        }
        out.add(p.getProperty("flavor") + " " + p.getProperty("version"));
      }
    } catch (IOException e) {
      out.add("cannot read: " + e.getMessage());
    }
    return out.isEmpty() ? "none (DJL would download; offline it fails)" : String.join(", ", out);
  }

  /** The libtorch libraries mapped into this process (Linux), which tell the flavor in use. */
  private static String loadedTorch() {
    Path maps = Path.of("/proc/self/maps");
    if (!Files.isReadable(maps)) {
      return "unknown (no /proc/self/maps)";
    }
    try {
      TreeSet<String> libs = new TreeSet<>();
      for (String line : Files.readAllLines(maps, StandardCharsets.UTF_8)) {
        int slash = line.lastIndexOf('/');
        if (slash >= 0 && line.substring(slash).matches("/libtorch(_cpu|_cuda)?\\.so")) {
          libs.add(line.substring(line.indexOf('/')));
        }
      }
      return libs.isEmpty() ? "none" : String.join(", ", libs);
    } catch (IOException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }

  private static String version(Class<?> c) {
    String v = c.getPackage().getImplementationVersion();
    return v == null ? "unknown" : v;
  }

  private static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
