package io.crossover.data.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.io.Serializable;
import java.util.List;

/**
 * The transformer's shape. {@code preset} names a shape in {@code conf/models.conf}; any of the
 * numbers given explicitly replaces the preset's.
 *
 * @param preset the shape's name (tiny, small, ..., 1b, 1.7b)
 * @param layers decoder blocks
 * @param dim hidden size
 * @param heads attention heads; {@code dim} must divide by it into an even head size (RoPE)
 * @param kvHeads key/value heads (grouped-query attention): each serves {@code heads / kvHeads}
 *     consecutive query heads; {@code heads} (the default) is plain multi-head attention
 * @param ffnDim SwiGLU inner size
 * @param ropeBase RoPE base frequency
 * @param tieEmbeddings share the token embedding and the output head
 * @param initStd standard deviation of the normal init (residual projections get it / sqrt(2N))
 * @param normEps RMSNorm epsilon
 */
public record ModelConfig(
    String preset,
    int layers,
    int dim,
    int heads,
    int kvHeads,
    int ffnDim,
    double ropeBase,
    boolean tieEmbeddings,
    double initStd,
    double normEps)
    implements Serializable {

  /** Classpath resource holding the named shapes. */
  public static final String PRESETS = ConfigLoader.CONF_RESOURCE_DIR + "models.conf";

  static ModelConfig from(Keys k) {
    String preset = k.nonEmpty("model.preset", "name a shape from conf/models.conf, e.g. tiny");
    Config presets = presetFile();
    if (!presets.hasPath(quoted(preset))) {
      throw new ConfigException(
          "model.preset",
          "value \""
              + preset
              + "\" is not a preset; use one of "
              + String.join(", ", presets.root().keySet()));
    }
    Config shape = presets.getConfig(quoted(preset));
    int layers = k.integerOr("model.layers", shape.getInt("layers"), 1, 1024);
    int dim = k.integerOr("model.dim", shape.getInt("dim"), 8, 1 << 16);
    int heads = k.integerOr("model.heads", shape.getInt("heads"), 1, 1024);
    int kvHeads =
        k.integerOr(
            "model.kv-heads",
            shape.hasPath("kv-heads") ? shape.getInt("kv-heads") : heads,
            1,
            1024);
    int ffn = k.integerOr("model.ffn-dim", shape.getInt("ffn-dim"), 8, 1 << 18);
    if (dim % heads != 0 || (dim / heads) % 2 != 0) {
      throw new ConfigException(
          "model.heads",
          "value "
              + heads
              + " does not divide model.dim="
              + dim
              + " into an even head size (RoPE rotates pairs); try "
              + Math.max(1, dim / 64));
    }
    if (heads % kvHeads != 0) {
      throw new ConfigException(
          "model.kv-heads",
          "value "
              + kvHeads
              + " does not divide model.heads="
              + heads
              + " (each key/value head serves the same number of query heads); use a divisor"
              + " of "
              + heads
              + ", or leave it unset for one per query head");
    }
    return new ModelConfig(
        preset,
        layers,
        dim,
        heads,
        kvHeads,
        ffn,
        k.fraction("model.rope-base", 1, 1e9),
        k.bool("model.tie-embeddings"),
        k.fraction("model.init-std", 1e-6, 1),
        k.fraction("model.norm-eps", 1e-12, 1e-2));
  }

  private static Config presetFile() {
    return ConfigFactory.parseResources(
        ModelConfig.class.getClassLoader(),
        PRESETS,
        ConfigParseOptions.defaults().setAllowMissing(false));
  }

  /** The names of the shapes in {@code conf/models.conf}. */
  public static List<String> presets() {
    return List.copyOf(presetFile().root().keySet());
  }

  /**
   * The shape {@code preset} names, with this model's other settings (RoPE base, tied embeddings,
   * init, norm epsilon): what {@code model.preset=PRESET} would give with nothing else changed.
   */
  public ModelConfig withPreset(String preset) {
    Config shape = presetFile().getConfig(quoted(preset));
    int presetHeads = shape.getInt("heads");
    return new ModelConfig(
        preset,
        shape.getInt("layers"),
        shape.getInt("dim"),
        presetHeads,
        shape.hasPath("kv-heads") ? shape.getInt("kv-heads") : presetHeads,
        shape.getInt("ffn-dim"),
        ropeBase,
        tieEmbeddings,
        initStd,
        normEps);
  }

  private static String quoted(String name) {
    return "\"" + name + "\"";
  }

  /** Size of one attention head. */
  public int headDim() {
    return dim / heads;
  }

  /** Width of the key (and of the value) projection: {@code kvHeads} heads of {@link #headDim}. */
  public int kvDim() {
    return kvHeads * headDim();
  }
}
