package io.crossover.data;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The data pipeline's packages keep the shape docs/ARCHITECTURE.md draws: ingest on top, the reader
 * over the plan over the shards over the tokenizer, the shared helpers of {@code io.crossover.data}
 * at the bottom; no cycles; nothing above this module.
 */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.crossover");
  }

  @Test
  void layersPointDown() {
    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .layer("ingest")
        .definedBy("io.crossover.data.ingest..")
        .layer("cloze")
        .definedBy("io.crossover.data.cloze..")
        .layer("read")
        .definedBy("io.crossover.data.read..")
        .layer("plan")
        .definedBy("io.crossover.data.plan..")
        .layer("shard")
        .definedBy("io.crossover.data.shard..")
        .layer("tokenize")
        .definedBy("io.crossover.data.tokenize..")
        .layer("config")
        .definedBy("io.crossover.data.config..")
        .layer("stats")
        .definedBy("io.crossover.data.stats..")
        .layer("shared")
        .definedBy("io.crossover.data")
        .whereLayer("ingest")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("cloze")
        .mayOnlyBeAccessedByLayers("ingest")
        .whereLayer("read")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("plan")
        .mayOnlyBeAccessedByLayers("read")
        .whereLayer("shard")
        .mayOnlyBeAccessedByLayers("ingest", "cloze", "read", "plan")
        .whereLayer("tokenize")
        .mayOnlyBeAccessedByLayers("ingest", "cloze", "shard")
        .whereLayer("config")
        .mayOnlyBeAccessedByLayers("ingest", "read", "plan")
        .whereLayer("stats")
        .mayOnlyBeAccessedByLayers("ingest", "cloze")
        .check(classes);
  }

  @Test
  void noPackageCycles() {
    slices().matching("io.crossover.data.(**)").should().beFreeOfCycles().check(classes);
  }

  @Test
  void reachesNoOtherModule() {
    noClasses()
        .that()
        .resideInAPackage("io.crossover.data..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.crossover.driver..", "io.crossover.executor..", "io.crossover.k8s..")
        .check(classes);
  }
}
