package io.crossover.executor.checkpoint;

import ai.djl.ndarray.NDArray;
import io.crossover.data.Json;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.tokenize.Tokenizer;
import io.crossover.executor.model.Param;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Objective;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes a trained model for use elsewhere: {@code model.safetensors} with Hugging Face names and
 * layouts (projections as torch {@code Linear} weights, out x in) and a {@code config.json} of the
 * Qwen3 architecture, which is exactly this one (Llama with per-head QK RMSNorm, no biases). The
 * objective names the architecture: an AR model loads as {@code Qwen3ForCausalLM}; an MDM model has
 * the same tensors but is not a causal LM, so it is named {@code Qwen3ForMaskedDiffusion} (no
 * loader mistakes it for a causal one) and must be run with full attention and its MASK id (both
 * recorded in config.json).
 */
public final class Export {
  private Export() {}

  /** Exports into {@code out} (created); copies the tokenizer file when there is one. */
  public static void write(
      FileSystem fs,
      Path out,
      Transformer model,
      CrossoverConfig config,
      Tokenizer tokenizer,
      byte[] tokenizerJson)
      throws IOException {
    fs.mkdirs(out);
    Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
    for (Param p : model.params()) {
      NDArray a = p.array();
      long[] shape = a.getShape().getShape();
      if (p.stored() == Param.Layout.TRANSPOSED) {
        try (NDArray t = a.transpose()) {
          tensors.put(
              p.name(), new SafeTensors.Tensor(new long[] {shape[1], shape[0]}, t.toFloatArray()));
        }
      } else {
        tensors.put(p.name(), new SafeTensors.Tensor(shape, a.toFloatArray()));
      }
    }
    try (OutputStream o =
        new BufferedOutputStream(fs.create(new Path(out, "model.safetensors"), true))) {
      SafeTensors.write(o, tensors, Map.of("format", "pt"));
    }
    var m = config.model();
    Objective objective = Objective.of(config.objective(), tokenizer.specials().mask());
    Map<String, Object> hf = new LinkedHashMap<>();
    hf.put("architectures", List.of(objective.exportArchitecture()));
    hf.put("model_type", "qwen3");
    hf.put("hidden_size", m.dim());
    hf.put("intermediate_size", m.ffnDim());
    hf.put("num_hidden_layers", m.layers());
    hf.put("num_attention_heads", m.heads());
    hf.put("num_key_value_heads", m.kvHeads());
    hf.put("head_dim", m.headDim());
    hf.put("hidden_act", "silu");
    hf.put("rms_norm_eps", m.normEps());
    hf.put("rope_theta", m.ropeBase());
    hf.put("attention_bias", false);
    hf.put("tie_word_embeddings", m.tieEmbeddings());
    hf.put("vocab_size", model.vocabSize());
    hf.put("max_position_embeddings", config.budget().seqLen());
    hf.put("torch_dtype", "float32");
    hf.put("eos_token_id", tokenizer.specials().eod());
    hf.putAll(new TreeMap<>(objective.exportAttributes()));
    hf.putIfAbsent("crossover_mask_token_id", tokenizer.specials().mask());
    hf.put("crossover_tokenizer", tokenizer.id());
    try (OutputStream o = fs.create(new Path(out, "config.json"), true)) {
      o.write(Json.MAPPER.writeValueAsString(hf).getBytes(StandardCharsets.UTF_8));
    }
    if (tokenizerJson != null) {
      try (OutputStream o = fs.create(new Path(out, "tokenizer.json"), true)) {
        o.write(tokenizerJson);
      }
    }
  }
}
