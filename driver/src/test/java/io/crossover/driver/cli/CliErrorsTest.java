package io.crossover.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.data.shard.DatasetWriter;
import io.crossover.data.shard.Filesystems;
import io.crossover.data.shard.Manifest;
import io.crossover.data.tokenize.ByteTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad inputs as a user types them, through the whole CLI with the shipped logging setup: each exits
 * 2 (a mistake the user can fix) or 1 (a failure while working) with one line that names what is
 * wrong and the fix, and nothing on the console looks like a stack trace. Placeholders in capitals
 * are files made in {@link #fixtures()}; FRESH is a new empty directory per case.
 */
public class CliErrorsTest {
  @TempDir public static Path tmp;
  public static final Map<String, String> FILES = new HashMap<>();

  @BeforeAll
  public static void fixtures() throws Exception {
    Cli.useShippedLogging(tmp.resolve("logs"));
    // 40 documents of 100 bytes (4040 training tokens) and a 300-byte validation document.
    SplittableRandom random = new SplittableRandom(1);
    List<int[]> docs = new ArrayList<>();
    for (int d = 0; d < 40; d++) {
      docs.add(random.ints(100, 'a', 'z' + 1).toArray());
    }
    FileSystem fs = Filesystems.raw(FileSystem.getLocal(new Configuration()));
    Path dir = tmp.resolve("dataset");
    DatasetWriter.write(
        fs,
        new org.apache.hadoop.fs.Path(dir.toUri()),
        docs,
        List.of(random.ints(300, 'a', 'z' + 1).toArray()),
        new ByteTokenizer(),
        new Manifest.Source("test", "tokens", 0),
        1024,
        256);
    FILES.put("DATASET", dir.toString());
    // The same training documents with nothing held out.
    Path none = tmp.resolve("no-validation");
    DatasetWriter.write(
        fs,
        new org.apache.hadoop.fs.Path(none.toUri()),
        docs,
        List.of(),
        new ByteTokenizer(),
        new Manifest.Source("test", "tokens", 0),
        1024,
        256);
    FILES.put("NO_VALIDATION", none.toString());
    // The same documents with an id no byte tokenizer makes (shards that do not match their
    // manifest), and a copy whose first shard has one flipped bit.
    List<int[]> badIds = new ArrayList<>();
    for (int[] doc : docs) {
      int[] copy = doc.clone();
      copy[50] = 300;
      badIds.add(copy);
    }
    Path badDir = tmp.resolve("bad-ids");
    DatasetWriter.write(
        fs,
        new org.apache.hadoop.fs.Path(badDir.toUri()),
        badIds,
        List.of(random.ints(300, 'a', 'z' + 1).toArray()),
        new ByteTokenizer(),
        new Manifest.Source("test", "tokens", 0),
        1024,
        256);
    FILES.put("BAD_IDS", badDir.toString());
    Path corrupt = tmp.resolve("corrupt");
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path to = corrupt.resolve(dir.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(to);
        } else if (!f.getFileName().toString().endsWith(".crc")) {
          Files.copy(f, to);
        }
      }
    }
    Path shard = corrupt.resolve("train").resolve("shard-00000.arrow");
    byte[] bytes = Files.readAllBytes(shard);
    bytes[bytes.length / 2] ^= 1;
    Files.write(shard, bytes);
    FILES.put("CORRUPT", corrupt.toString());
    FILES.put("RUNS", tmp.resolve("runs").toString());
    file("BAD_SYNTAX", "bad.conf", "budget {\n  seq-len = 256\n");
    file("UNKNOWN_KEY", "unknown.conf", "trainer.steps = 4\n");
    file("UNRESOLVED", "unresolved.conf", "run.root = ${CROSSOVER_TEST_NOT_SET}/runs\n");
    String item =
        "{\"id\":\"a\",\"context\":\"It was\",\"choices\":[\"red\",\"blue\"],\"answer\":1}";
    file("TASK", "task.jsonl", item + "\n");
    file("TASK_MALFORMED", "malformed.jsonl", item + "\n{\"id\": \"b\", \"context\": \n");
    file("TASK_ANSWER7", "answer7.jsonl", item.replace("\"answer\":1", "\"answer\":7") + "\n");
    file("TASK_NEGATIVE", "negative.jsonl", item.replace("\"answer\":1", "\"answer\":-1") + "\n");
    file("TASK_ONE_CHOICE", "one.jsonl", item.replace("\"red\",", "") + "\n");
    file(
        "TASK_HELLASWAG",
        "hs.jsonl",
        "{\"ind\":4,\"ctx\":\"A man\",\"endings\":[\"runs.\",\"sits.\"],\"label\":\"1\"}\n");
    file("TASK_MMLU", "mmlu.csv", "What is 2+2?,3,4,5,6,B\n");
    file("TASK_EMPTY", "empty.jsonl", "\n\n");
    file("TASK_DUP_IDS", "dup-ids.jsonl", item + "\n" + item + "\n");
    file("TASK_SAME_CHOICES", "same.jsonl", item.replace("\"red\"", "\"blue\"") + "\n");
    file("TASK_BOM", "bom.jsonl", "\uFEFF" + item + "\n");
    // A task whose answer is always its longest choice: the blind audit must refuse it.
    StringBuilder longest = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      int answer = i % 4;
      List<String> choices = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        choices.add("\"" + (c == answer ? "a longer choice" : "short " + c) + "\"");
      }
      longest.append(
          String.format(
              "{\"id\":\"q%d\",\"doc\":\"d%d\",\"context\":\"item %d is\",\"choices\":[%s],"
                  + "\"answer\":%d}%n",
              i, i / 10, i, String.join(",", choices), answer));
    }
    file("TASK_LONGEST", "longest.jsonl", longest.toString());
    Files.createDirectories(tmp.resolve("tokdir"));
    Files.writeString(tmp.resolve("tokdir").resolve("tokenizer.json"), "{}");
    FILES.put("TOKENIZER_DIR", tmp.resolve("tokdir").toString());
    file("TOKENIZER_NO_MODEL", "nomodel.json", "{\"version\": \"1.0\", \"added_tokens\": []}");
    file("TOKENIZER_BROKEN_JSON", "broken.json", "{\"model\": ");
    file("TOKENIZER_EMPTY", "empty.json", "");
    Path binary = tmp.resolve("binary.bin");
    Files.write(binary, new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3});
    FILES.put("TOKENIZER_BINARY", binary.toString());
    Files.createDirectories(tmp.resolve("notarun"));
    FILES.put("NOT_A_RUN", tmp.resolve("notarun").toString());
    Path foreign = Files.createDirectories(tmp.resolve("foreign"));
    Files.writeString(foreign.resolve("notes.txt"), "my notes");
    FILES.put("FOREIGN_DIR", foreign.toString());
    // Two trained runs to evaluate, sample and export: 16 steps of the tiny model each.
    for (String objective : List.of("ar", "mdm")) {
      Cli.run(resolve(train(objective, objective))).expect(0, null);
      FILES.put(
          "RUN_" + objective.toUpperCase(), tmp.resolve("runs").resolve(objective).toString());
    }
    Cli.run(resolve(plan("--run", "planned"))).expect(0, null);
  }

  private static void file(String key, String name, String content) throws Exception {
    FILES.put(
        key, Files.writeString(tmp.resolve(name), content, StandardCharsets.UTF_8).toString());
  }

  /**
   * A valid single-rank training command of 16 steps; {@code more} are option, value pairs that
   * replace or add options (a null value: a flag).
   */
  public static String[] train(String objective, String run, String... more) {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("--objective", objective);
    options.put("--dataset", "DATASET");
    options.put("--seq-len", "64");
    options.put("--global-batch", "4");
    options.put("--unique-tokens", "1024");
    options.put("--total-tokens", "4096");
    options.put("--lr", "3e-3");
    options.put("--run", run);
    List<String> sets =
        new ArrayList<>(
            List.of(
                "run.root=RUNS",
                "cluster.world-size=1",
                "eval.validation-sequences=2",
                "eval.min-points=0",
                "eval.every-epoch=false"));
    List<String> flags = new ArrayList<>();
    for (int i = 0; i < more.length; i++) {
      if (more[i].equals("--set")) {
        sets.add(more[++i]);
      } else if (i + 1 < more.length && !more[i + 1].startsWith("--")) {
        options.put(more[i], more[++i]);
      } else {
        flags.add(more[i]);
      }
    }
    return command("train", options, sets, flags);
  }

  private static String[] command(
      String name, Map<String, String> options, List<String> sets, List<String> flags) {
    List<String> args = new ArrayList<>(List.of(name));
    options.forEach(
        (k, v) -> {
          args.add(k);
          args.add(v);
        });
    for (String s : sets) {
      args.add("--set");
      args.add(s);
    }
    args.addAll(flags);
    return args.toArray(new String[0]);
  }

  /** A valid plan command with some options replaced by {@code changes} (option, value pairs). */
  public static String[] plan(String... changes) {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("--dataset", "DATASET");
    options.put("--seq-len", "64");
    options.put("--global-batch", "4");
    options.put("--world-size", "2");
    options.put("--unique-tokens", "1024");
    options.put("--total-tokens", "4096");
    options.put("--run", "p");
    List<String> flags = new ArrayList<>();
    for (int i = 0; i < changes.length; i++) {
      if (i + 1 < changes.length && !changes[i + 1].startsWith("--")) {
        options.put(changes[i], changes[++i]);
      } else {
        flags.add(changes[i]);
      }
    }
    return command("plan", options, List.of("run.root=RUNS"), flags);
  }

  static String[] show(String... set) {
    List<String> args = new ArrayList<>(List.of("config", "show"));
    for (String s : set) {
      args.add("--set");
      args.add(s);
    }
    return args.toArray(new String[0]);
  }

  static String[] args(String... a) {
    return a;
  }

  static String[] eval(String task) {
    return args("eval", "--checkpoint", "RUN_AR", "--tasks", task);
  }

  static String[] render(String option, String value) {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("--image", "crossover:0.1.0");
    options.put("--out", "FRESH");
    options.put(option, value);
    List<String> args = new ArrayList<>(List.of("k8s"));
    args.addAll(List.of(command("render", options, List.of("cluster.world-size=2"), List.of())));
    return args.toArray(new String[0]);
  }

  /** As {@link #render}, for a sweep (what --schedule applies to). */
  static String[] renderSweep(String option, String value) {
    List<String> args = new ArrayList<>(List.of(render(option, value)));
    args.addAll(List.of("--sweep", "quickstart"));
    return args.toArray(new String[0]);
  }

  static Arguments usage(String[] args, String message) {
    return Arguments.of(args, CrossoverCommand.EXIT_USAGE, message);
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        // Config keys and values.
        usage(
            show("budget.uniq-tokens=5"),
            "unknown config key 'budget.uniq-tokens' (from --set budget.uniq-tokens); did you mean 'budget.unique-tokens'?"),
        usage(
            show("budget.seq-len=abc"),
            "config key 'budget.seq-len': value \"abc\" (from --set budget.seq-len) is not a number; write a whole number, e.g. 42"),
        usage(
            show("budget.seq-len=1"),
            "config key 'budget.seq-len': value \"1\" (from --set budget.seq-len) is out of range; allowed 2..1,048,576"),
        usage(
            show("data.input.format=csv"),
            "config key 'data.input.format': value \"csv\" (from --set data.input.format) is not allowed; use one of text, jsonl, parquet"),
        usage(
            show("data.tokenizer=sentencepiece"),
            "config key 'data.tokenizer': value \"sentencepiece\" is not allowed; use byte or hf:<path to tokenizer.json>"),
        usage(
            show("data.validation.fraction=0.9"),
            "config key 'data.validation.fraction': value \"0.9\" (from --set data.validation.fraction) is out of range; allowed 0.0..0.5"),
        usage(
            show("data.validation.tokens=1000"),
            "config key 'data.validation.tokens': value 1000 conflicts with data.validation.fraction=0.01; set one of them to 0"),
        usage(
            show("reader.verify-checksums=maybe"),
            "config key 'reader.verify-checksums': value \"maybe\" (from --set reader.verify-checksums) is not a boolean; use true or false"),
        usage(
            show("cluster.executor-memory=lots"),
            "config key 'cluster.executor-memory': value \"lots\" is not a JVM memory size; write e.g. 1024m or 4g"),
        usage(
            show("cluster.executor-memory=0g"),
            "config key 'cluster.executor-memory': value \"0g\" is zero; a memory size must be positive; write e.g. 1024m or 4g"),
        usage(
            show("cluster.executor-memory=0"),
            "config key 'cluster.executor-memory': value \"0\" is zero; a memory size must be positive"),
        usage(
            show("cluster.world-size=0"),
            "config key 'cluster.world-size': value \"0\" (from --set cluster.world-size) is out of range; allowed 1..65,536"),
        usage(
            show("cluster.master=spark:/host"),
            "config key 'cluster.master': value \"spark:/host\" is not a Spark master URL"),
        usage(
            args("ingest", "--input", "TASK", "--output", "FRESH/ds", "--master", "yarnn"),
            "config key 'cluster.master': value \"yarnn\" is not a Spark master URL; use local[N]"),
        usage(
            show("run.name=a/b"),
            "config key 'run.name': value \"a/b\" is not a valid directory name; use letters, digits, '.', '_' and '-'"),
        usage(
            show("data.shard-tokens=1Mi", "data.batch-tokens=2Mi"),
            "config key 'data.batch-tokens': value 2097152 is larger than data.shard-tokens=1048576; a record batch must fit in a shard"),
        usage(
            show("model.preset=huge"),
            "config key 'model.preset': value \"huge\" is not a preset; use one of"),
        usage(
            show("model.heads=3"),
            "config key 'model.heads': value 3 does not divide model.dim=64 into an even head size"),
        usage(
            show("optim.min-lr=1"),
            "config key 'optim.min-lr': value 1.0 is above optim.lr=2.0E-4; it is the floor"),
        usage(show("foo"), "--set expects key=value, got 'foo'; e.g. --set budget.seq-len=256"),
        usage(
            show("budget.seq-len=256", "budget.seq-len=512"),
            "config key 'budget.seq-len': is set twice on the command line; keep one --set budget.seq-len"),
        usage(
            args("config", "show", "-c", "/nonexistent.conf"),
            "config file '/nonexistent.conf' not found (neither a file nor a name in conf/)"),
        usage(args("config", "show", "-c", "BAD_SYNTAX"), "cannot parse config file"),
        usage(args("config", "show", "-c", "UNKNOWN_KEY"), "unknown config key 'trainer.steps'"),
        usage(
            args("config", "show", "-c", "UNRESOLVED"),
            "unresolved.conf: 1: unresolved: ${CROSSOVER_TEST_NOT_SET}; define it in the file"),
        usage(
            plan("--seed", "abc"),
            "config key 'run.seed': value \"abc\" (from --seed) is not a number; write a whole number, e.g. 42"),
        usage(
            train("transformer", "x"),
            "config key 'objective.type': value \"transformer\" (from --objective) is not allowed; use one of ar, mdm, or an AR arm"),
        usage(
            train("ar", "x", "--lr", "fast"),
            "config key 'optim.lr': value \"fast\" (from --lr) is not a number"),
        usage(
            train("ar", "x", "--set", "objective.type=mdm"),
            "config key 'objective.type': is set by both --objective and --set objective.type; keep one"),
        usage(
            args("train", "--set", "train.device=cuda:0"),
            "config key 'train.device': \"cuda:0\" is not allowed; use auto, cpu, gpu or gpu:N"),
        usage(plan("--unique", "5"), "Unknown options: '--unique', '5'"),
        // Budgets.
        usage(
            plan("--unique-tokens", "1000"),
            "config key 'budget.unique-tokens': 1000 is not a multiple of budget.seq-len=64; nearest valid: 960 or 1024"),
        usage(
            plan("--unique-tokens", "64Ki"),
            "config key 'budget.unique-tokens': 65536 is more than the training split holds in whole sequences: at most 4032 (4040 training tokens, seq-len 64)"),
        usage(
            plan("--global-batch", "5"),
            "config key 'budget.global-batch': 5 is not divisible by cluster.world-size=2; nearest valid: 4 or 6"),
        usage(
            plan("--total-tokens", "5000"),
            "config key 'budget.total-tokens': 5000 is not a multiple of the 256 tokens per step (budget.global-batch=4 x budget.seq-len=64); nearest valid: 4864 or 5120"),
        usage(
            plan("--total-tokens", "768"),
            "config key 'budget.total-tokens': 768 is less than budget.unique-tokens=1024: the unique set would not be seen once; the smallest valid value is 1024"),
        usage(
            plan("--dataset", "/nonexistent/dataset"),
            "data.dataset: no manifest.json in file:/nonexistent/dataset; run `crossover ingest` first"),
        // Run directories.
        usage(
            plan("--run", "planned"),
            "run.name: file:RUNS/planned already exists, and plan never changes a run directory; choose another --run NAME, or add --dry-run"),
        usage(plan("--run", "ar"), "run.name: file:RUNS/ar already exists, and plan never changes"),
        usage(
            train("ar", "ar"),
            "run.name: file:RUNS/ar already holds a training run; pass --resume to continue it, --overwrite to replace it"),
        usage(
            train("ar", "ar", "--resume", "--overwrite"),
            "run.name: --resume and --overwrite exclude each other"),
        usage(
            train("ar", "ar", "--resume"),
            "run.name: file:RUNS/ar is complete (DONE); nothing to resume"),
        usage(
            train("ar", "planned", "--total-tokens", "8192"),
            "run.name: file:RUNS/planned was made with other settings; training it would mix two experiments"),
        usage(
            train("ar", "x", "--set", "eval.tasks=[\"t=mc:/nonexistent/task.jsonl\"]"),
            "eval.tasks: file:/nonexistent/task.jsonl (task t) does not exist"),
        // Damaged data is a failure while working (exit 1), not a mistake in the command.
        Arguments.of(
            train(
                "ar", "bad-ids", "--dataset", "BAD_IDS", "--set", "reader.verify-checksums=false"),
            CrossoverCommand.EXIT_FAILURE,
            "rank 0 cannot read step 0: train/shard-0000"),
        Arguments.of(
            train("ar", "corrupt", "--dataset", "CORRUPT"),
            CrossoverCommand.EXIT_FAILURE,
            "rank 0 cannot read step 0: train/shard-00000.arrow: SHA-256 is "),
        // Ingest.
        usage(
            args("ingest", "--input", "/nonexistent/corpus", "--output", "FRESH/ds"),
            "data.input.path: file:/nonexistent/corpus does not exist"),
        usage(
            args("ingest", "--input", "TASK", "--output", "DATASET"),
            "data.dataset: file:DATASET already exists; pass --overwrite to replace it"),
        usage(
            args(
                "ingest",
                "--input",
                "TASK",
                "--output",
                "FRESH/ds",
                "--tokenizer",
                "hf:/nonexistent/tokenizer.json"),
            "data.tokenizer: tokenizer file /nonexistent/tokenizer.json does not exist"),
        usage(
            args(
                "ingest",
                "--input",
                "TASK",
                "--output",
                "FRESH/ds",
                "--tokenizer",
                "hf:TOKENIZER_DIR"),
            "data.tokenizer: TOKENIZER_DIR is a directory; give the tokenizer file, e.g. hf:TOKENIZER_DIR/tokenizer.json"),
        usage(
            args(
                "ingest",
                "--input",
                "TASK",
                "--output",
                "FRESH/ds",
                "--tokenizer",
                "hf:TOKENIZER_NO_MODEL"),
            "data.tokenizer: nomodel.json is JSON but not a HuggingFace tokenizer.json"),
        usage(
            args(
                "ingest",
                "--input",
                "TASK",
                "--output",
                "FRESH/ds",
                "--tokenizer",
                "hf:TOKENIZER_BROKEN_JSON"),
            "data.tokenizer: broken.json is not a tokenizer.json: not valid JSON"),
        usage(
            args(
                "ingest",
                "--input",
                "TASK",
                "--output",
                "FRESH/ds",
                "--tokenizer",
                "hf:TOKENIZER_BINARY"),
            "data.tokenizer: binary.bin is not a tokenizer.json: not valid JSON"),
        usage(
            args(
                "ingest",
                "--input",
                "TASK",
                "--output",
                "FRESH/ds",
                "--tokenizer",
                "hf:TOKENIZER_EMPTY"),
            "data.tokenizer: TOKENIZER_EMPTY is empty; give a HuggingFace tokenizer.json"),
        // Evaluation.
        usage(
            args("eval", "--checkpoint", "/nonexistent/run"),
            "--checkpoint: /nonexistent/run does not exist"),
        usage(
            args("eval", "--checkpoint", "NOT_A_RUN"),
            "--checkpoint: NOT_A_RUN is neither a checkpoint (a directory with model.safetensors) nor a run directory"),
        usage(
            args("eval", "--checkpoint", "RUN_AR", "--max-items", "-1"),
            "--max-items -1 must be >= 0"),
        usage(
            args("eval", "--checkpoint", "RUN_AR", "--threads", "0"),
            "--threads 0: libtorch threads must be at least 1"),
        usage(eval("t=mc:TASK_MALFORMED"), "TASK_MALFORMED line 2: not valid JSON ("),
        // Validated where the input enters: one rule per concept, shared by every command.
        usage(
            eval("t=mc:TASK_DUP_IDS"),
            "TASK_DUP_IDS line 2: item id \"a\" is also the id of line 1; ids must be unique"),
        usage(
            eval("t=mc:TASK_SAME_CHOICES"),
            "TASK_SAME_CHOICES line 1: choices 0 and 1 are the same text (blue)"),
        usage(
            eval("t=mc:TASK,t=mc:TASK"),
            "--tasks names the task \"t=mc:TASK\" twice; list it once"),
        usage(
            eval("t=mc:TASK,t=mmlu:TASK_MMLU"),
            "--tasks gives the name \"t\" to two tasks (\"t=mc:TASK\" and \"t=mmlu:TASK_MMLU\")"),
        usage(
            show("eval.tasks=[\"t=mc:a.jsonl\",\"t=mc:b.jsonl\"]"),
            "config key 'eval.tasks': gives the name \"t\" to two tasks"),
        usage(
            args("model", "--vocab", "0"),
            "--vocab 0: a vocabulary needs at least 3 ids (a token, end-of-document and MASK)"),
        usage(args("model", "--vocab", "1"), "--vocab 1: a vocabulary needs at least 3 ids"),
        usage(
            args("estimate", "paper-1b", "--gpu", "h100", "--vocab", "1"),
            "--vocab 1: a vocabulary needs at least 3 ids"),
        usage(
            args("estimate", "paper-1b", "--cpu-cores", "0"),
            "--cpu-cores 0: cores per rank (leave it out for train.threads) must be at least 1"),
        usage(
            args("bench", "step", "--micro-batch", "3"),
            "--micro-batch does not divide the 16 sequences a rank gets per step (--batch 16)"),
        usage(
            args("cloze", "--dataset", "DATASET", "--items", "5", "--out", "FRESH/c.jsonl"),
            "cloze: the validation split of file:DATASET has 0 document(s) long enough for a"
                + " window of 14 words, and an item's 4 choices come from 4 distinct documents"),
        usage(
            render("--schedule", "0 3 * * *"),
            "--schedule applies to a sweep: give --sweep FILE too"),
        usage(render("--out", "TASK"), "--out TASK is a file; give a directory to write into"),
        usage(
            args("eval", "--audit", "--tasks", "t=mc:TASK_LONGEST"),
            "--audit: the answer of t: \"highest length\" picks the answer in 1.000 of 200 items"),
        usage(args("eval"), "give --checkpoint (or --run), or --audit with --tasks"),
        usage(
            args("eval", "--checkpoint", "RUN_MDM", "--mdm-scoring", "exact"),
            "--mdm-scoring exact was renamed left-to-right"),
        usage(
            show("eval.mdm-scoring=exact"),
            "config key 'eval.mdm-scoring': value \"exact\" was renamed: use left-to-right"),
        usage(
            eval("t=mc:TASK_ANSWER7"),
            "TASK_ANSWER7 line 1: answer 7 is not one of the 2 choices (0..1)"),
        usage(
            eval("t=mc:TASK_NEGATIVE"),
            "TASK_NEGATIVE line 1: answer -1 is not one of the 2 choices (0..1)"),
        usage(
            eval("t=mc:TASK_ONE_CHOICE"),
            "TASK_ONE_CHOICE line 1: 1 choice(s); an item needs at least 2"),
        usage(
            eval("t=hellaswag:TASK"),
            "TASK line 1: not a hellaswag item: no \"ctx\" (fields: id, context, choices, answer); it looks like mc: declare the task as name=mc:path"),
        usage(
            eval("t=mc:TASK_HELLASWAG"),
            "TASK_HELLASWAG line 1: not a mc item: no \"context\" (fields: ind, ctx, endings, label); it looks like hellaswag"),
        usage(
            eval("t=mmlu:TASK"),
            "TASK line 1: not an mmlu item: this line is JSON (it looks like mc)"),
        usage(eval("t=mc:TASK_MMLU"), "TASK_MMLU line 1: not valid JSON ("),
        usage(
            eval("t=mc:TASK_EMPTY"),
            "eval.tasks: TASK_EMPTY (task t) has no items (only blank lines)"),
        usage(eval("t=csv:TASK"), "eval.tasks: format \"csv\" of t is not mc, hellaswag or mmlu"),
        usage(eval("nonsense"), "eval.tasks: \"nonsense\" is not name=format:path"),
        // Generation.
        usage(
            args("generate", "--checkpoint", "RUN_AR", "--max-tokens", "-5"),
            "--max-tokens -5 must be at least 1"),
        usage(
            args("generate", "--checkpoint", "RUN_AR", "--temperature", "-1"),
            "--temperature -1.0 must be >= 0"),
        usage(
            args("generate", "--checkpoint", "RUN_AR", "--top-p", "0"),
            "--top-p 0.0 must be in (0, 1]"),
        usage(
            args("generate", "--checkpoint", "RUN_AR", "--top-p", "1.5"),
            "--top-p 1.5 must be in (0, 1]"),
        usage(
            args("generate", "--checkpoint", "RUN_MDM", "--steps", "0"),
            "--steps 0 must be at least 1"),
        usage(
            args("generate", "--checkpoint", "RUN_MDM", "--block", "-2"),
            "--block -2 must be >= 0"),
        usage(
            args("generate", "--checkpoint", "RUN_MDM", "--max-tokens", "100"),
            "--max-tokens 100 plus the prompt's 1 tokens"),
        usage(
            args("generate", "--checkpoint", "/nonexistent"),
            "--checkpoint: /nonexistent does not exist"),
        // Export.
        usage(
            args("export", "--checkpoint", "RUN_AR", "--out", "FOREIGN_DIR"),
            "--out: FOREIGN_DIR is not empty and is not an export of file:RUN_AR/checkpoints/step-16; choose an empty directory, or pass --overwrite"),
        usage(
            args("export", "--checkpoint", "NOT_A_RUN", "--out", "FRESH"),
            "--checkpoint: NOT_A_RUN is neither"),
        // Benchmarks.
        usage(args("bench", "step", "--batch", "0"), "(got --batch 0, --steps 10,"),
        usage(args("bench", "step", "--steps", "-1"), "must be >= 1, --micro-batch >= 0"),
        usage(args("bench", "step", "--micro-batch", "-2"), "--micro-batch -2)"),
        usage(args("bench", "step", "--precision", "fp8"), "--precision"),
        usage(
            args("bench", "allreduce", "--mb", "16,0"),
            "crossover bench allreduce: error: --ranks must be 2..64, --repeats >= 1, each --mb"
                + " 1..511 and --allgather-mb 0..511 (got --ranks 2, --repeats 5, --mb 16,0,"),
        usage(args("bench", "allreduce", "--ranks", "1"), "(got --ranks 1,"),
        usage(
            args("estimate", "paper-1b", "--gpu", "h100", "--set", "objective.type=ar"),
            "crossover estimate: error: config key 'objective.type': is an axis of sweep"),
        usage(
            args("bench", "step", "--objective", "gpt"),
            "--objective gpt is not an objective: ar, mdm, an AR arm"),
        usage(args("bench", "loader", "--tokens", "0"), "--tokens 0 is less than one step"),
        usage(
            args("estimate", "paper-1b", "--gpu", "h100", "--network", "-5"),
            "--network -5.0: Gbit/s per rank must be > 0"),
        usage(
            args("estimate", "paper-1b", "--efficiency", "1.5"),
            "--efficiency 1.5: a share of the peak, in (0, 1]"),
        usage(args("bench", "loader", "--tokens", "lots"), "--tokens lots is not a count"),
        usage(
            args("bench", "loader", "--corpus", "/nonexistent.jsonl"),
            "--corpus /nonexistent.jsonl is not a file"),
        // Kubernetes.
        usage(
            render("--namespace", "Team_A"),
            "--namespace \"Team_A\" is not a valid Kubernetes name"),
        usage(
            render("--namespace", "-team"), "--namespace \"-team\" is not a valid Kubernetes name"),
        usage(
            render("--image", "Crossover:latest"),
            "--image \"Crossover:latest\" is not an image reference"),
        usage(
            render("--image", "repo:tag:again"),
            "--image \"repo:tag:again\" is not an image reference"),
        usage(
            renderSweep("--schedule", "nightly"),
            "--schedule \"nightly\" is not a cron schedule: 1 fields"),
        usage(
            renderSweep("--schedule", "61 * * * *"),
            "--schedule \"61 * * * *\" is not a cron schedule: minute 61 is outside 0..59"),
        usage(
            renderSweep("--schedule", "0 24 * * *"),
            "--schedule \"0 24 * * *\" is not a cron schedule: hour 24 is outside 0..23"),
        usage(
            renderSweep("--schedule", "0 2 0 * *"),
            "--schedule \"0 2 0 * *\" is not a cron schedule: day of month 0 is outside 1..31"),
        usage(
            renderSweep("--schedule", "0 2 * 13 *"),
            "--schedule \"0 2 * 13 *\" is not a cron schedule: month 13 is outside 1..12"),
        usage(
            renderSweep("--schedule", "0 2 * * 8"),
            "--schedule \"0 2 * * 8\" is not a cron schedule: day of week 8 is outside 0..6"),
        usage(
            renderSweep("--schedule", "*/0 * * * *"),
            "--schedule \"*/0 * * * *\" is not a cron schedule: minute"),
        usage(
            render("--driver-memory", "0"),
            "--driver-memory \"0\" is zero; a memory size must be positive; write e.g. 4g"),
        usage(
            render("--driver-memory", "0m"),
            "--driver-memory \"0m\" is zero; a memory size must be positive"),
        usage(render("--driver-memory", "-4g"), "--driver-memory \"-4g\" is not a JVM memory size"),
        usage(render("--scheduler", "default"), "--scheduler default is not yunikorn or volcano"),
        // Sweeps and reports.
        usage(
            args("sweep", "no-such-sweep", "--dry-run"),
            "sweep file 'no-such-sweep' not found (neither a file nor a name in conf/sweeps/)"),
        usage(
            args("sweep", "quickstart", "--dry-run", "--set", "budget.unique-tokens=1Mi"),
            "config key 'budget.unique-tokens': is an axis of sweep quickstart; change the sweep file, not --set"),
        usage(
            args("report", "/nonexistent/sweep"), "report: file:/nonexistent/sweep does not exist"),
        usage(
            args("report", "RUNS", "--metric", "f1"),
            "--metric f1 is not one of acc, acc_norm, acc_mi"),
        usage(
            args("report", "RUNS", "--margin", "0"),
            "--margin 0.0 is not in (0, 1): it is a share of items, e.g. 0.02"));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void failsWithOneLineThatSaysWhatToFix(String[] args, int exit, String message) throws Exception {
    String[] resolved = resolve(args);
    String command = "crossover " + String.join(" ", commandWords(resolved));
    Cli.Result r = Cli.run(resolved);
    r.expect(exit, command + (exit == CrossoverCommand.EXIT_USAGE ? ": error: " : ": failed: "));
    assertTrue(
        r.firstErrorLine().contains(resolveText(message)),
        "expected\n" + resolveText(message) + "\nin\n" + r.firstErrorLine());
  }

  @Test
  void theTableCoversAtLeastSixtyInputs() {
    assertTrue(cases().count() >= 60, "cases: " + cases().count());
  }

  @Test
  void aDatasetWithoutAValidationSplitIsSaidOnceAndNoLossIsLogged() throws Exception {
    Cli.Result r =
        Cli.run(resolve(train("ar", "no-validation", "--dataset", "NO_VALIDATION")))
            .expect(0, null);
    assertEquals(1, r.out().split("no validation loss: ", -1).length - 1, r.out());
    assertTrue(r.out().contains("eval step 16 | epoch"), r.out());
    assertTrue(!r.out().contains("NaN"), r.out());
  }

  @Test
  void aTaskFileWithAByteOrderMarkReadsAsWithout() throws Exception {
    Cli.run(resolve(eval("t=mc:TASK_BOM"))).expect(0, null);
  }

  @Test
  void anArRunWithoutAPromptGeneratesFromADocumentStart() throws Exception {
    Cli.Result r =
        Cli.run(resolve(args("generate", "--checkpoint", "RUN_AR", "--max-tokens", "20")));
    r.expect(0, null);
    assertTrue(!r.out().isBlank(), r.out());
    Cli.run(resolve(args("generate", "--checkpoint", "RUN_AR", "--prompt", ""))).expect(0, null);
  }

  @Test
  void anExportCanBeRepeatedIntoItsOwnDirectory() throws Exception {
    String out = tmp.resolve("export-again").toString();
    Cli.run(resolve(args("export", "--checkpoint", "RUN_AR", "--out", out))).expect(0, null);
    Cli.run(resolve(args("export", "--checkpoint", "RUN_AR", "--out", out))).expect(0, null);
    Cli.run(resolve(args("export", "--checkpoint", "RUN_MDM", "--out", out)))
        .expect(CrossoverCommand.EXIT_USAGE, "crossover export: error: --out: ");
    Cli.run(resolve(args("export", "--checkpoint", "RUN_MDM", "--out", out, "--overwrite")))
        .expect(0, null);
  }

  @Test
  void aPlanDryRunPrintsWithoutWriting() throws Exception {
    Path run = tmp.resolve("runs").resolve("planned");
    String before = Files.readString(run.resolve("config.json"));
    Cli.Result r =
        Cli.run(resolve(plan("--run", "planned", "--dry-run", "--total-tokens", "8192")));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("total tokens T"), r.out());
    assertEquals(before, Files.readString(run.resolve("config.json")));
  }

  @Test
  void theReportShowsAPlannedRunAsNeverTrained() throws Exception {
    Cli.Result r = Cli.run(resolve(args("report", "RUNS")));
    r.expect(0, null);
    assertTrue(
        r.out()
            .contains(
                "not compared: planned (never trained: made by `crossover plan`, or its training failed before its first step)"),
        r.out());
  }

  private static final List<String> GROUPS = List.of("config", "bench", "k8s");

  private static List<String> commandWords(String[] args) {
    return GROUPS.contains(args[0]) ? List.of(args[0], args[1]) : List.of(args[0]);
  }

  public static String[] resolve(String[] args) throws Exception {
    String[] out = args.clone();
    for (int i = 0; i < out.length; i++) {
      if (out[i].contains("FRESH")) {
        out[i] = out[i].replace("FRESH", Files.createTempDirectory(tmp, "fresh").toString());
      }
      out[i] = resolveText(out[i]);
    }
    return out;
  }

  static String resolveText(String s) {
    // Longest first: TASK is a prefix of TASK_MALFORMED.
    List<String> keys = new ArrayList<>(FILES.keySet());
    keys.sort(Comparator.comparingInt(String::length).reversed());
    for (String k : keys) {
      s = s.replace(k, FILES.get(k));
    }
    return s;
  }
}
