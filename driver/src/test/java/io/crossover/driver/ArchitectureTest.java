package io.crossover.driver;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.syntax.ArchRuleDefinition;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The driver's packages keep the shape docs/ARCHITECTURE.md draws: layered, acyclic, pointing from
 * the command line down to the services and from them to the executor and the data pipeline, never
 * back up.
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
        .layer("main")
        .definedBy("io.crossover.driver")
        .layer("cli")
        .definedBy("io.crossover.driver.cli..")
        .layer("sweep")
        .definedBy("io.crossover.driver.sweep..")
        .layer("train")
        .definedBy("io.crossover.driver.train..")
        .layer("capacity")
        .definedBy("io.crossover.driver.capacity..")
        .layer("bench")
        .definedBy("io.crossover.driver.bench..")
        .layer("report")
        .definedBy("io.crossover.driver.report")
        .layer("render")
        .definedBy("io.crossover.driver.report.render..")
        .layer("spark")
        .definedBy("io.crossover.driver.spark..")
        .layer("run")
        .definedBy("io.crossover.driver.run..")
        .layer("process")
        .definedBy("io.crossover.driver.process..")
        .whereLayer("main")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("cli")
        .mayOnlyBeAccessedByLayers("main")
        .whereLayer("sweep")
        .mayOnlyBeAccessedByLayers("cli")
        .whereLayer("capacity")
        .mayOnlyBeAccessedByLayers("cli", "bench", "run")
        .whereLayer("render")
        .mayOnlyBeAccessedByLayers("cli", "sweep")
        .whereLayer("report")
        .mayOnlyBeAccessedByLayers("cli", "sweep", "render")
        .whereLayer("bench")
        .mayOnlyBeAccessedByLayers("cli", "sweep")
        .whereLayer("train")
        .mayOnlyBeAccessedByLayers("cli", "sweep")
        .whereLayer("spark")
        .mayOnlyBeAccessedByLayers("cli", "sweep", "train", "bench")
        .whereLayer("run")
        .mayOnlyBeAccessedByLayers("cli", "sweep", "train", "spark")
        .whereLayer("process")
        .mayOnlyBeAccessedByLayers(
            "main",
            "cli",
            "sweep",
            "train",
            "capacity",
            "bench",
            "report",
            "render",
            "spark",
            "run")
        .check(classes);
  }

  @Test
  void noPackageCycles() {
    slices().matching("io.crossover.driver.(**)").should().beFreeOfCycles().check(classes);
  }

  @Test
  void theModulesBelowTheDriverNeverReachUp() {
    ArchRuleDefinition.noClasses()
        .that()
        .resideInAnyPackage("io.crossover.executor..", "io.crossover.data..", "io.crossover.k8s..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.crossover.driver..")
        .check(classes);
  }
}
