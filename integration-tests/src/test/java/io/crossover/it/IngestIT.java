package io.crossover.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.data.Failure;
import io.crossover.data.Json;
import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.DataConfig;
import io.crossover.data.ingest.IngestJob;
import io.crossover.data.ingest.InputException;
import io.crossover.data.plan.PlanSpec;
import io.crossover.data.plan.TokenPlan;
import io.crossover.data.read.ArrowTokenReader;
import io.crossover.data.shard.Dataset;
import io.crossover.data.shard.Manifest;
import io.crossover.driver.spark.SparkSessions;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ingest on a real Spark (two task threads) against real HDFS and the local filesystem. */
class IngestIT {
  static final Path BROWN = Path.of("../conf/data/brown-slice.jsonl.gz").toAbsolutePath();
  static final Path WORDLEVEL =
      Path.of("../data-pipeline/src/test/resources/tokenizers/wordlevel-eos.json").toAbsolutePath();

  static MiniHdfs hdfs;
  static SparkSession spark;
  static JavaSparkContext sc;
  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    FaultyDfs.install();
    hdfs = new MiniHdfs();
    spark = SparkSessions.create(config("cluster.master=local[2]").cluster(), "ingest-it");
    sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
    if (hdfs != null) {
      hdfs.close();
    }
  }

  static CrossoverConfig config(String... overrides) {
    List<String> all = new ArrayList<>(List.of("data.shard-tokens=128Ki", "data.batch-tokens=4Ki"));
    all.addAll(List.of(overrides));
    return ConfigLoader.load(null, all);
  }

  static DataConfig data(String input, String output, String... more) {
    List<String> o = new ArrayList<>(List.of("data.input.path=" + input, "data.dataset=" + output));
    o.addAll(List.of(more));
    return config(o.toArray(new String[0])).data();
  }

  @Test
  void theShippedSliceGivesIdenticalShardsOnHdfsAndOnLocalFiles() throws Exception {
    hdfs.fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(BROWN.toUri()),
        new org.apache.hadoop.fs.Path("/corpus/brown.jsonl.gz"));
    Manifest local =
        IngestJob.run(sc, data(BROWN.toString(), tmp.resolve("local").toString()), false, s -> {});
    Manifest remote =
        IngestJob.run(sc, data(hdfs.uri("/corpus"), hdfs.uri("/datasets/brown")), false, s -> {});

    assertEquals(125, local.stats().documentsKept());
    assertTrue(
        local.train().shards().size() > 5, "several shards: " + local.train().shards().size());
    assertTrue(local.validation().tokens() > 0);
    assertEquals(local.train(), remote.train(), "same shards, token counts and SHA-256");
    assertEquals(local.validation(), remote.validation());
    assertEquals(local.stats(), remote.stats());
    assertEquals(local.tokenizer(), remote.tokenizer());
    assertNotEquals(local.source().path(), remote.source().path());

    // And the same tokens come back through the reader from either filesystem.
    Configuration conf = hdfs.cluster.getConfiguration(0);
    Dataset a = Dataset.open(tmp.resolve("local").toUri().toString(), conf);
    Dataset b = Dataset.open(hdfs.uri("/datasets/brown"), conf);
    try (RootAllocator allocator = new RootAllocator()) {
      int[] lengths = a.documentLengths(a.manifest().train(), allocator);
      TokenPlan plan =
          TokenPlan.create(
              a.manifest(), lengths, new PlanSpec(64 * 1024, 128 * 1024, 256, 16, 2, 5));
      try (ArrowTokenReader ra =
              new ArrowTokenReader(a, plan, 1, 0, plan.steps(), config().reader(), allocator);
          ArrowTokenReader rb =
              new ArrowTokenReader(b, plan, 1, 0, plan.steps(), config().reader(), allocator)) {
        while (ra.hasNext()) {
          assertArrayEquals(ra.next().tokens(), rb.next().tokens());
        }
      }
    }
  }

  /**
   * The NameNode refuses the rename that publishes the dataset: nothing is published, the previous
   * dataset an --overwrite was replacing is back in place, no partial output is left, and the next
   * ingest works.
   */
  @Test
  void anIngestWhoseOutputRenameFailsPublishesNothingAndLosesNothing() throws Exception {
    hdfs.fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(BROWN.toUri()),
        new org.apache.hadoop.fs.Path("/renames/brown.jsonl.gz"));
    String out = hdfs.uri("/renamed/brown");
    Manifest first = IngestJob.run(sc, data(hdfs.uri("/renames"), out), false, s -> {});
    FaultyDfs.failRename =
        p -> p.getName().startsWith(".brown.tmp-") || p.getName().startsWith(".fresh.tmp-");
    try {
      var e =
          assertThrows(
              Failure.class,
              () ->
                  IngestJob.run(
                      sc,
                      data(hdfs.uri("/renames"), out, "data.validation.fraction=0.2"),
                      true,
                      s -> {}));
      assertTrue(e.getMessage().startsWith("ingest failed: cannot rename "), e.getMessage());
      assertTrue(
          e.getMessage().endsWith("; nothing was published and the previous dataset is in place"),
          e.getMessage());
      e =
          assertThrows(
              Failure.class,
              () ->
                  IngestJob.run(
                      sc, data(hdfs.uri("/renames"), hdfs.uri("/renamed/fresh")), false, s -> {}));
      assertTrue(e.getMessage().endsWith("; nothing was published"), e.getMessage());
    } finally {
      FaultyDfs.reset();
    }
    Configuration conf = hdfs.cluster.getConfiguration(0);
    assertEquals(first.train(), Dataset.open(out, conf).manifest().train(), "the previous dataset");
    List<String> left = new ArrayList<>();
    for (var st : hdfs.fs.listStatus(new org.apache.hadoop.fs.Path("/renamed"))) {
      left.add(st.getPath().getName());
    }
    assertEquals(List.of("brown"), left, "no partial output, nothing moved aside");
    List<String> said = new ArrayList<>();
    Manifest again =
        IngestJob.run(
            sc, data(hdfs.uri("/renames"), out, "data.validation.fraction=0.2"), true, said::add);
    assertNotEquals(first.validation(), again.validation(), "the new dataset is published");
  }

  @Test
  void aValidationTokenCountHoldsOutTheFewestWholeDocumentsThatReachIt() throws Exception {
    Manifest m =
        IngestJob.run(
            sc,
            data(
                BROWN.toString(),
                tmp.resolve("v").toString(),
                "data.validation.fraction=0",
                "data.validation.tokens=50k"),
            false,
            s -> {});
    long longestDocument = 0;
    Dataset ds = Dataset.open(tmp.resolve("v").toUri().toString(), new Configuration());
    try (RootAllocator allocator = new RootAllocator()) {
      for (int length : ds.documentLengths(m.validation(), allocator)) {
        longestDocument = Math.max(longestDocument, length);
      }
    }
    assertTrue(m.validation().tokens() >= 50_000, "at least the count: " + m.validation().tokens());
    assertTrue(
        m.validation().tokens() < 50_000 + longestDocument,
        "no more whole documents than needed: " + m.validation().tokens());
    assertEquals(125, m.train().documents() + m.validation().documents());
  }

  @Test
  void badDocumentsAreCountedAndReportedNotSilentlyDropped() throws Exception {
    ByteArrayOutputStream jsonl = new ByteArrayOutputStream();
    jsonl.write("{\"text\": \"A good first document.\"}\n".getBytes(StandardCharsets.UTF_8));
    jsonl.write("{\"text\": \"\"}\n".getBytes(StandardCharsets.UTF_8));
    jsonl.write("{\"text\": \"   \"}\n".getBytes(StandardCharsets.UTF_8));
    jsonl.write("{\"text\": null}\n".getBytes(StandardCharsets.UTF_8));
    jsonl.write(
        new byte[] {
          '{',
          '"',
          't',
          'e',
          'x',
          't',
          '"',
          ':',
          '"',
          'b',
          'a',
          'd',
          (byte) 0xC3,
          (byte) 0x28,
          '"',
          '}',
          '\n'
        });
    jsonl.write(
        "\n{\"text\": \"The last document, after a blank line.\"}\n"
            .getBytes(StandardCharsets.UTF_8));
    Path in = Files.createDirectories(tmp.resolve("in"));
    Files.write(in.resolve("part-0.jsonl"), jsonl.toByteArray());
    Files.writeString(in.resolve("_SUCCESS"), "");
    Manifest m =
        IngestJob.run(
            sc,
            data(in.toString(), tmp.resolve("out").toString(), "data.validation.fraction=0"),
            false,
            s -> {});
    assertEquals(new Manifest.IngestStats(6, 3, 1, 2), m.stats());
    assertEquals(0, m.validation().tokens());
    assertEquals(2, m.train().documents());
    assertEquals(
        "A good first document.".length() + "The last document, after a blank line.".length() + 2,
        m.train().tokens());
  }

  @Test
  void anInputWithNoDocumentIsAnError() throws Exception {
    Path in = Files.createDirectories(tmp.resolve("empty"));
    Files.writeString(in.resolve("a.txt"), "\n  \n");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                IngestJob.run(
                    sc,
                    data(
                        in.toString(),
                        tmp.resolve("out").toString(),
                        "data.input.format=text",
                        "data.input.text-unit=line"),
                    false,
                    s -> {}));
    assertTrue(
        e.getMessage().startsWith("data.input.path: ")
            && e.getMessage()
                .endsWith(" has no document with text (2 read, 2 empty, 0 not valid UTF-8)"),
        e.getMessage());
    assertTrue(!Files.exists(tmp.resolve("out")), "nothing written");
  }

  @Test
  void anExistingDatasetIsReplacedOnlyWithOverwrite() throws Exception {
    Path in = Files.createDirectories(tmp.resolve("text"));
    Files.writeString(in.resolve("a.txt"), "first line\nsecond line\n");
    DataConfig cfg =
        data(
            in.toString(),
            tmp.resolve("out").toString(),
            "data.input.format=text",
            "data.input.text-unit=line",
            "data.validation.fraction=0");
    Manifest first = IngestJob.run(sc, cfg, false, s -> {});
    assertEquals(2, first.train().documents());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IngestJob.run(sc, cfg, false, s -> {}));
    assertTrue(
        e.getMessage().endsWith("already exists; pass --overwrite to replace it"), e.getMessage());
    Files.writeString(in.resolve("b.txt"), "third line\n");
    Manifest second = IngestJob.run(sc, cfg, true, s -> {});
    assertEquals(3, second.train().documents());
    assertEquals(
        3,
        Dataset.open(tmp.resolve("out").toString(), new Configuration())
            .manifest()
            .train()
            .documents());
    try (var siblings = Files.list(tmp)) {
      assertEquals(
          List.of("out", "text"),
          siblings.map(p -> p.getFileName().toString()).sorted().toList(),
          "no temporary or old directories left behind");
    }
  }

  @Test
  void parquetInputGivesTheSameShardsAsTheSameDocumentsInJsonl() throws Exception {
    List<String> texts = new ArrayList<>();
    try (var lines =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(BROWN)), StandardCharsets.UTF_8))) {
      for (String line; (line = lines.readLine()) != null && texts.size() < 20; ) {
        texts.add(Json.MAPPER.readTree(line).path("text").asText());
      }
    }
    List<Row> rows = texts.stream().map(t -> RowFactory.create("id", t)).toList();
    StructType schema =
        new StructType().add("id", DataTypes.StringType).add("body", DataTypes.StringType);
    Path parquet = tmp.resolve("parquet");
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(parquet.toString());
    StringBuilder jsonl = new StringBuilder();
    for (String t : texts) {
      jsonl.append(Json.line(Map.of("body", t))).append('\n');
    }
    Path json = Files.writeString(tmp.resolve("docs.jsonl"), jsonl);

    Manifest fromParquet =
        IngestJob.run(
            sc,
            data(
                parquet.toString(),
                tmp.resolve("p").toString(),
                "data.input.format=parquet",
                "data.input.text-field=body"),
            false,
            s -> {});
    Manifest fromJsonl =
        IngestJob.run(
            sc,
            data(json.toString(), tmp.resolve("j").toString(), "data.input.text-field=body"),
            false,
            s -> {});
    assertEquals(20, fromParquet.stats().documentsKept());
    assertEquals(fromJsonl.train(), fromParquet.train());
    assertEquals(fromJsonl.validation(), fromParquet.validation());

    InputException e =
        assertThrows(
            InputException.class,
            () ->
                IngestJob.run(
                    sc,
                    data(
                        parquet.toString(),
                        tmp.resolve("q").toString(),
                        "data.input.format=parquet"),
                    false,
                    s -> {}));
    assertTrue(e.getMessage().startsWith("file:" + parquet + "/part-"), e.getMessage());
    assertTrue(
        e.getMessage()
            .endsWith(".parquet: no column 'text' (columns: id, body); set data.input.text-field"),
        e.getMessage());

    // A column of another type is named with its type, and the string columns are offered.
    Path numbers = tmp.resolve("numbers");
    StructType typed =
        new StructType().add("title", DataTypes.StringType).add("text", DataTypes.LongType);
    spark
        .createDataFrame(List.of(RowFactory.create("a", 1L), RowFactory.create("b", 2L)), typed)
        .coalesce(1)
        .write()
        .parquet(numbers.toString());
    InputException wrongType =
        assertThrows(
            InputException.class,
            () ->
                IngestJob.run(
                    sc,
                    data(
                        numbers.toString(),
                        tmp.resolve("n").toString(),
                        "data.input.format=parquet"),
                    false,
                    s -> {}));
    assertTrue(
        wrongType
            .getMessage()
            .endsWith(
                ".parquet: column 'text' is INT64, not a string; set data.input.text-field to a"
                    + " string column (string columns: title)"),
        wrongType.getMessage());
  }

  @Test
  void aHuggingFaceTokenizerOnHdfsIsShippedToTheTasks() throws Exception {
    hdfs.fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(WORDLEVEL.toUri()),
        new org.apache.hadoop.fs.Path("/tok/tokenizer.json"));
    Path in = Files.createDirectories(tmp.resolve("hf"));
    Files.writeString(
        in.resolve("a.jsonl"),
        "{\"text\": \"The man said it was a good day.\"}\n{\"text\": \"He came back.\"}\n");
    Manifest m =
        IngestJob.run(
            sc,
            data(
                in.toString(),
                hdfs.uri("/datasets/hf"),
                "data.tokenizer=\"hf:" + hdfs.uri("/tok/tokenizer.json") + "\"",
                "data.validation.fraction=0"),
            false,
            s -> {});
    assertTrue(m.tokenizer().startsWith("hf:tokenizer.json@"), m.tokenizer());
    assertEquals(164, m.vocabSize());
    assertEquals(1, m.specials().eod());
    assertEquals(163, m.specials().mask());
    assertEquals(List.of("mask"), m.specials().addedByCrossover());
    assertEquals(9 + 1 + 4 + 1, m.train().tokens(), "word-level tokens plus one EOD per document");
  }

  @Test
  void malformedJsonNamesTheFileAndLine() throws Exception {
    Path in = Files.createDirectories(tmp.resolve("broken"));
    Files.writeString(in.resolve("a.jsonl"), "{\"text\": \"fine\"}\n{\"text\": \"cut off\n");
    InputException e =
        assertThrows(
            InputException.class,
            () ->
                IngestJob.run(
                    sc, data(in.toString(), tmp.resolve("out").toString()), false, s -> {}));
    assertTrue(
        e.getMessage().startsWith("file:" + in.resolve("a.jsonl") + " line 2: not valid JSON"),
        e.getMessage());
  }
}
