package io.crossover.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

class TokenizerTest {

  @Test
  void byteTokenizerRoundTripsUtf8AndNamesSpecials() {
    try (Tokenizer t = TokenizerSpec.resolve("byte", new Configuration()).open()) {
      int[] ids = t.encode("naïve €");
      assertEquals(10, ids.length, "UTF-8 bytes, not chars");
      assertEquals("naïve €", t.decode(ids));
      assertEquals(259, t.vocabSize());
      assertEquals(new SpecialTokens(256, 257, 258, List.of()), t.specials());
      assertEquals("ab<|eod|>c", t.decode(new int[] {'a', 'b', 256, 'c'}));
    }
  }

  @Test
  void hfTokenizerTakesEodFromTheFileAndAppendsMask() throws Exception {
    try (Tokenizer t = hf("wordlevel-eos.json")) {
      assertEquals(1, t.specials().eod(), "</s> is in the file's added tokens");
      assertEquals(163, t.specials().mask(), "MASK appended after the 163 ids of the file");
      assertEquals(164, t.vocabSize());
      assertEquals(List.of("mask"), t.specials().addedByCrossover());
      int[] ids = t.encode("The man said it was a good day.");
      assertEquals(9, ids.length);
      for (int id : ids) {
        assertTrue(id > 1 && id < 163, "a known word, no special added: " + id);
      }
      assertEquals("the man said it was a good day .", t.decode(ids));
      assertEquals(0, t.encode("zebra")[0], "unknown words map to [UNK]");
      assertTrue(t.id().startsWith("hf:wordlevel-eos.json@"));
    }
  }

  @Test
  void hfTokenizerTakesBothSpecialsFromTheFileWhenPresent() throws Exception {
    try (Tokenizer t = hf("wordlevel-eos-mask.json")) {
      assertEquals(1, t.specials().eod());
      assertEquals(163, t.specials().mask());
      assertEquals(164, t.vocabSize());
      assertEquals(List.of(), t.specials().addedByCrossover());
    }
  }

  @Test
  void missingTokenizerFileNamesTheKeyAndPath() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TokenizerSpec.resolve("hf:/nonexistent/tokenizer.json", new Configuration()));
    assertEquals(
        "data.tokenizer: tokenizer file /nonexistent/tokenizer.json does not exist",
        e.getMessage());
  }

  @Test
  void sameIdsBeforeAndAfterShippingTheSpec() throws Exception {
    TokenizerSpec spec =
        TokenizerSpec.resolve("hf:" + resource("wordlevel-eos.json"), new Configuration());
    byte[] shipped;
    try (var bytes = new ByteArrayOutputStream();
        var out = new ObjectOutputStream(bytes)) {
      out.writeObject(spec);
      out.flush();
      shipped = bytes.toByteArray();
    }
    TokenizerSpec received;
    try (var in = new ObjectInputStream(new ByteArrayInputStream(shipped))) {
      received = (TokenizerSpec) in.readObject();
    }
    try (Tokenizer a = spec.open();
        Tokenizer b = received.open()) {
      assertArrayEquals(
          a.encode("he said that the world was old"), b.encode("he said that the world was old"));
      assertEquals(a.id(), b.id());
    }
  }

  static Tokenizer hf(String name) throws URISyntaxException {
    return TokenizerSpec.resolve("hf:" + resource(name), new Configuration()).open();
  }

  static String resource(String name) throws URISyntaxException {
    return Path.of(TokenizerTest.class.getResource("/tokenizers/" + name).toURI()).toString();
  }
}
