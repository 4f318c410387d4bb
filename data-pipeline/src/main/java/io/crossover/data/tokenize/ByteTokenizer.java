package io.crossover.data.tokenize;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** UTF-8 bytes as ids 0..255, then EOD = 256, MASK = 257, PAD = 258. Needs no file. */
public final class ByteTokenizer implements Tokenizer {
  public static final int EOD = 256;
  public static final int MASK = 257;
  public static final int PAD = 258;
  private static final SpecialTokens SPECIALS = new SpecialTokens(EOD, MASK, PAD, List.of());

  @Override
  public String id() {
    return "byte";
  }

  @Override
  public int vocabSize() {
    return 259;
  }

  @Override
  public SpecialTokens specials() {
    return SPECIALS;
  }

  @Override
  public int[] encode(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      ids[i] = bytes[i] & 0xff;
    }
    return ids;
  }

  @Override
  public String decode(int[] ids) {
    StringBuilder out = new StringBuilder();
    ByteArrayOutputStream run = new ByteArrayOutputStream();
    for (int id : ids) {
      if (id >= 0 && id < 256) {
        run.write(id);
        continue;
      }
      out.append(run.toString(StandardCharsets.UTF_8));
      run.reset();
      out.append(
          switch (id) {
            case EOD -> "<|eod|>";
            case MASK -> "<|mask|>";
            case PAD -> "<|pad|>";
            default -> throw new IllegalArgumentException("id " + id + " is not in [0, 259)");
          });
    }
    return out.append(run.toString(StandardCharsets.UTF_8)).toString();
  }

  @Override
  public void close() {}
}
