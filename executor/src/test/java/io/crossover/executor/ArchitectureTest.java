package io.crossover.executor;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The executor's packages keep the shape docs/ARCHITECTURE.md draws: the training loop, the
 * evaluations and the checkpoints on top; the objective below them (it owns its loss, its scorer
 * and its sampler); the model at the bottom; no cycles.
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
        .layer("train")
        .definedBy("io.crossover.executor.train..")
        .layer("eval")
        .definedBy("io.crossover.executor.eval..")
        .layer("checkpoint")
        .definedBy("io.crossover.executor.checkpoint..")
        .layer("objective")
        .definedBy("io.crossover.executor.objective..")
        .layer("allreduce")
        .definedBy("io.crossover.executor.allreduce..")
        .layer("optim")
        .definedBy("io.crossover.executor.optim..")
        .layer("score")
        .definedBy("io.crossover.executor.score..")
        .layer("generate")
        .definedBy("io.crossover.executor.generate..")
        .layer("model")
        .definedBy("io.crossover.executor.model..")
        .layer("precision")
        .definedBy("io.crossover.executor.precision..")
        .layer("device")
        .definedBy("io.crossover.executor.device..")
        .whereLayer("train")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("eval")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("checkpoint")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("objective")
        .mayOnlyBeAccessedByLayers("train", "eval", "checkpoint")
        .whereLayer("allreduce")
        .mayOnlyBeAccessedByLayers("train", "eval")
        .whereLayer("optim")
        .mayOnlyBeAccessedByLayers("train", "checkpoint", "allreduce")
        .whereLayer("score")
        .mayOnlyBeAccessedByLayers("eval", "objective")
        .whereLayer("generate")
        .mayOnlyBeAccessedByLayers("objective")
        .whereLayer("model")
        .mayOnlyBeAccessedByLayers(
            "train", "eval", "checkpoint", "objective", "allreduce", "optim", "score", "generate")
        .whereLayer("precision")
        .mayOnlyBeAccessedByLayers("train", "model")
        .whereLayer("device")
        .mayNotBeAccessedByAnyLayer()
        .check(classes);
  }

  @Test
  void noPackageCycles() {
    slices().matching("io.crossover.executor.(**)").should().beFreeOfCycles().check(classes);
  }

  @Test
  void reachesOnlyTheDataPipeline() {
    noClasses()
        .that()
        .resideInAPackage("io.crossover.executor..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.crossover.driver..", "io.crossover.k8s..")
        .check(classes);
  }
}
