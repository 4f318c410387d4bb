package io.crossover.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.data.shard.DatasetWriter;
import io.crossover.data.shard.Filesystems;
import io.crossover.data.shard.Manifest;
import io.crossover.data.tokenize.ByteTokenizer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad configs and bad arguments: each fails before any work with exit code 2 and a message that
 * names the key (or option), the bad value and what to do instead.
 */
class CliErrorsTest {
  @TempDir static Path tmp;
  static String dataset;
  static String badSyntax;
  static String unknownKeyFile;

  @BeforeAll
  static void dataset() throws Exception {
    // 40 documents of 100 bytes: 40 * 101 = 4040 training tokens.
    List<int[]> docs = new ArrayList<>();
    for (int d = 0; d < 40; d++) {
      docs.add(new int[100]);
    }
    FileSystem fs = Filesystems.raw(FileSystem.getLocal(new Configuration()));
    Path dir = tmp.resolve("dataset");
    DatasetWriter.write(
        fs,
        new org.apache.hadoop.fs.Path(dir.toUri()),
        docs,
        List.of(new int[] {1}),
        new ByteTokenizer(),
        new Manifest.Source("test", "tokens", 0),
        1024,
        256);
    dataset = dir.toString();
    badSyntax =
        Files.writeString(tmp.resolve("bad.conf"), "budget {\n  seq-len = 256\n").toString();
    unknownKeyFile =
        Files.writeString(tmp.resolve("unknown.conf"), "trainer.steps = 4\n").toString();
  }

  /** A valid plan command with some options replaced by {@code changes} (option, value pairs). */
  static String[] plan(String... changes) {
    java.util.Map<String, String> options = new java.util.LinkedHashMap<>();
    options.put("--dataset", "DATASET");
    options.put("--seq-len", "64");
    options.put("--global-batch", "4");
    options.put("--world-size", "2");
    options.put("--unique-tokens", "1024");
    options.put("--total-tokens", "4096");
    options.put("--set", "run.root=RUNS");
    for (int i = 0; i < changes.length; i += 2) {
      options.put(changes[i], changes[i + 1]);
    }
    List<String> args = new ArrayList<>(List.of("plan"));
    options.forEach(
        (k, v) -> {
          args.add(k);
          args.add(v);
        });
    return args.toArray(new String[0]);
  }

  static String[] show(String... set) {
    List<String> args = new ArrayList<>(List.of("config", "show"));
    for (String s : set) {
      args.add("--set");
      args.add(s);
    }
    return args.toArray(new String[0]);
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(
            show("budget.uniq-tokens=5"),
            "unknown config key 'budget.uniq-tokens' (from --set budget.uniq-tokens); did you mean 'budget.unique-tokens'?"),
        Arguments.of(
            show("budget.seq-len=abc"),
            "config key 'budget.seq-len': value \"abc\" (from --set budget.seq-len) is not a whole count"),
        Arguments.of(
            show("budget.seq-len=1"),
            "config key 'budget.seq-len': value \"1\" (from --set budget.seq-len) is out of range; allowed 2..1,048,576"),
        Arguments.of(
            show("data.input.format=csv"),
            "config key 'data.input.format': value \"csv\" (from --set data.input.format) is not allowed; use one of text, jsonl, parquet"),
        Arguments.of(
            show("data.tokenizer=sentencepiece"),
            "config key 'data.tokenizer': value \"sentencepiece\" is not allowed; use byte or hf:<path to tokenizer.json>"),
        Arguments.of(
            show("data.validation.fraction=0.9"),
            "config key 'data.validation.fraction': value \"0.9\" (from --set data.validation.fraction) is out of range; allowed 0.0..0.5"),
        Arguments.of(
            show("data.validation.tokens=1000"),
            "config key 'data.validation.tokens': value 1000 conflicts with data.validation.fraction=0.01; set one of them to 0"),
        Arguments.of(
            show("reader.verify-checksums=maybe"),
            "config key 'reader.verify-checksums': value \"maybe\" (from --set reader.verify-checksums) is not a boolean; use true or false"),
        Arguments.of(
            show("cluster.executor-memory=lots"),
            "config key 'cluster.executor-memory': value \"lots\" is not a JVM memory size; write e.g. 1024m or 4g"),
        Arguments.of(
            show("cluster.world-size=0"),
            "config key 'cluster.world-size': value \"0\" (from --set cluster.world-size) is out of range; allowed 1..65,536"),
        Arguments.of(
            show("run.name=a/b"),
            "config key 'run.name': value \"a/b\" is not a valid directory name; use letters, digits, '.', '_' and '-'"),
        Arguments.of(
            show("data.shard-tokens=1Mi", "data.batch-tokens=2Mi"),
            "config key 'data.batch-tokens': value 2097152 is larger than data.shard-tokens=1048576; a record batch must fit in a shard"),
        Arguments.of(
            show("model.preset=huge"),
            "config key 'model.preset': value \"huge\" is not a preset; use one of"),
        Arguments.of(
            show("model.heads=3"),
            "config key 'model.heads': value 3 does not divide model.dim=64 into an even head size"),
        Arguments.of(
            show("optim.min-lr=1"),
            "config key 'optim.min-lr': value 1.0 is above optim.lr=2.0E-4; it is the floor"),
        Arguments.of(
            new String[] {"train", "--dataset", "DATASET", "--resume", "--overwrite"},
            "run.name: --resume and --overwrite exclude each other"),
        Arguments.of(
            show("foo"), "--set expects key=value, got 'foo'; e.g. --set budget.seq-len=256"),
        Arguments.of(
            show("budget.seq-len=256", "budget.seq-len=512"),
            "config key 'budget.seq-len': is set twice on the command line; keep one --set budget.seq-len"),
        Arguments.of(
            new String[] {"config", "show", "-c", "/nonexistent.conf"},
            "config file '/nonexistent.conf' not found (neither a file nor a name in conf/)"),
        Arguments.of(new String[] {"config", "show", "-c", "BAD"}, "cannot parse config file"),
        Arguments.of(
            new String[] {"config", "show", "-c", "UNKNOWN"},
            "unknown.conf: 1); see `crossover config show` for all keys"),
        Arguments.of(
            plan("--unique-tokens", "1000"),
            "config key 'budget.unique-tokens': 1000 is not a multiple of budget.seq-len=64; nearest valid: 960 or 1024"),
        Arguments.of(
            plan("--unique-tokens", "64Ki"),
            "config key 'budget.unique-tokens': 65536 is more than the training split holds in whole sequences: at most 4032 (4040 training tokens, seq-len 64)"),
        Arguments.of(
            plan("--global-batch", "5"),
            "config key 'budget.global-batch': 5 is not divisible by cluster.world-size=2; nearest valid: 4 or 6"),
        Arguments.of(
            plan("--total-tokens", "5000"),
            "config key 'budget.total-tokens': 5000 is not a multiple of the 256 tokens per step (budget.global-batch=4 x budget.seq-len=64); nearest valid: 4864 or 5120"),
        Arguments.of(
            plan("--total-tokens", "768"),
            "config key 'budget.total-tokens': 768 is less than budget.unique-tokens=1024: the unique set would not be seen once; the smallest valid value is 1024"),
        Arguments.of(
            plan("--dataset", "/nonexistent/dataset"),
            "data.dataset: no manifest.json in /nonexistent/dataset; run `crossover ingest` first"),
        Arguments.of(plan("--unique", "5"), "Unknown options: '--unique', '5'"),
        Arguments.of(
            new String[] {
              "ingest", "--input", "/nonexistent/corpus", "--output", "/tmp/never-written"
            },
            "data.input.path: file:/nonexistent/corpus does not exist"),
        Arguments.of(
            new String[] {
              "ingest",
              "--input",
              "DATASET",
              "--output",
              "/tmp/x",
              "--tokenizer",
              "hf:/nonexistent/tokenizer.json"
            },
            "data.tokenizer: tokenizer file /nonexistent/tokenizer.json does not exist"),
        Arguments.of(
            new String[] {"sweep", "no-such-sweep", "--dry-run"},
            "sweep file 'no-such-sweep' not found (neither a file nor a name in conf/sweeps/)"),
        Arguments.of(
            new String[] {"sweep", "quickstart", "--dry-run", "--set", "budget.unique-tokens=1Mi"},
            "config key 'budget.unique-tokens': is an axis of sweep quickstart; change the sweep"
                + " file, not --set"),
        Arguments.of(
            new String[] {"report", "/nonexistent/sweep"},
            "report: file:/nonexistent/sweep does not exist"),
        Arguments.of(
            new String[] {"report", "/tmp", "--metric", "f1"},
            "--metric f1 is not one of acc, acc_norm, acc_mi"),
        Arguments.of(
            new String[] {"train", "--set", "train.device=cuda:0"},
            "config key 'train.device': \"cuda:0\" is not allowed; use auto, cpu, gpu or gpu:N"));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void failsWithAMessageThatSaysWhatToFix(String[] args, String expected) {
    String[] resolved = args.clone();
    for (int i = 0; i < resolved.length; i++) {
      resolved[i] =
          switch (resolved[i]) {
            case "BAD" -> badSyntax;
            case "UNKNOWN" -> unknownKeyFile;
            case "DATASET" -> dataset;
            case "run.root=RUNS" -> "run.root=" + tmp.resolve("runs");
            default -> resolved[i];
          };
    }
    StringWriter err = new StringWriter();
    StringWriter out = new StringWriter();
    var cli = Crossover.commandLine();
    cli.setErr(new PrintWriter(err));
    cli.setOut(new PrintWriter(out));
    int code = cli.execute(resolved);
    assertTrue(err.toString().contains(expected), "stderr was:\n" + err);
    assertEquals(Crossover.EXIT_USAGE, code, "stderr was:\n" + err);
  }
}
