package io.crossover.data.tokenize;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import io.crossover.data.UserException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A HuggingFace {@code tokenizer.json} through DJL's bindings of the Rust tokenizers (the natives
 * ship in DJL's jar; nothing is downloaded). EOD and MASK are taken from the file's added tokens
 * when it has them, and appended after the vocabulary otherwise; PAD is EOD (it is never trained
 * on).
 */
public final class HfTokenizer implements Tokenizer {
  private static final List<String> EOD_NAMES =
      List.of("<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>", "<|eos|>", "<|eod|>", "[EOS]");
  private static final List<String> MASK_NAMES =
      List.of("<|mask|>", "<mask>", "[MASK]", "<|mdm_mask|>", "<MASK>");

  private final String id;
  private final HuggingFaceTokenizer tokenizer;
  private final int vocabSize;
  private final SpecialTokens specials;
  private final Map<Integer, String> addedNames = new HashMap<>();

  HfTokenizer(String name, String sha256, byte[] json) {
    this.id = "hf:" + name + "@" + sha256.substring(0, 16);
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new UserException(
          "data.tokenizer: "
              + name
              + " is not a tokenizer.json: not valid JSON ("
              + e.getMessage().lines().findFirst().orElse("")
              + ")",
          e);
    }
    if (root == null || !root.has("model")) {
      throw new UserException(
          "data.tokenizer: "
              + name
              + " is JSON but not a HuggingFace tokenizer.json (it has no \"model\"); give the"
              + " tokenizer.json that `tokenizer.save_pretrained` writes");
    }
    Map<String, Integer> added = new HashMap<>();
    int maxId = -1;
    for (JsonNode t : root.path("added_tokens")) {
      added.put(t.path("content").asText(), t.path("id").asInt());
      maxId = Math.max(maxId, t.path("id").asInt());
    }
    JsonNode vocab = root.path("model").path("vocab");
    if (vocab.isObject()) {
      for (JsonNode v : vocab) {
        maxId = Math.max(maxId, v.asInt());
      }
    } else if (vocab.isArray()) {
      maxId = Math.max(maxId, vocab.size() - 1);
    }
    int next = maxId + 1;
    List<String> appended = new ArrayList<>();
    Integer eod = find(added, EOD_NAMES);
    if (eod == null) {
      eod = next++;
      appended.add("eod");
      addedNames.put(eod, "<|eod|>");
    }
    Integer mask = find(added, MASK_NAMES);
    if (mask == null) {
      mask = next++;
      appended.add("mask");
      addedNames.put(mask, "<|mask|>");
    }
    this.vocabSize = next;
    this.specials = new SpecialTokens(eod, mask, eod, appended);
    Map<String, String> options = new HashMap<>();
    options.put("addSpecialTokens", "false");
    options.put("truncation", "false");
    options.put("padding", "false");
    try {
      this.tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), options);
    } catch (IOException | RuntimeException e) {
      throw new UserException(
          "data.tokenizer: the HuggingFace tokenizers library cannot load "
              + name
              + ": "
              + String.valueOf(e.getMessage()).lines().findFirst().orElse(""),
          e);
    }
  }

  private static Integer find(Map<String, Integer> added, List<String> names) {
    for (String n : names) {
      if (added.containsKey(n)) {
        return added.get(n);
      }
    }
    return null;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public int vocabSize() {
    return vocabSize;
  }

  @Override
  public SpecialTokens specials() {
    return specials;
  }

  @Override
  public int[] encode(String text) {
    long[] ids = tokenizer.encode(text, false, false).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  @Override
  public String decode(int[] ids) {
    StringBuilder out = new StringBuilder();
    List<Long> run = new ArrayList<>();
    for (int id : ids) {
      String special = addedNames.get(id);
      if (special == null) {
        run.add((long) id);
        continue;
      }
      out.append(flush(run)).append(special);
    }
    return out.append(flush(run)).toString();
  }

  private String flush(List<Long> run) {
    if (run.isEmpty()) {
      return "";
    }
    long[] ids = run.stream().mapToLong(Long::longValue).toArray();
    run.clear();
    return tokenizer.decode(ids, false);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
