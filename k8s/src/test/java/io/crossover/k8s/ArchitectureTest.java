package io.crossover.k8s;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The manifests are rendered from the config alone: k8s reads the data pipeline's config, never the
 * executor, the data pipeline's jobs or the driver (which imports it). One package: no cycles to
 * guard.
 */
class ArchitectureTest {
  @Test
  void readsOnlyTheConfig() {
    noClasses()
        .that()
        .resideInAPackage("io.crossover.k8s..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.crossover.driver..",
            "io.crossover.executor..",
            "io.crossover.data.ingest..",
            "io.crossover.data.read..",
            "io.crossover.data.shard..",
            "io.crossover.data.plan..")
        .check(
            new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.crossover"));
  }
}
