/**
 * The planner behind {@code crossover model} and {@code crossover estimate}: memory per rank, step
 * time, MFU and accelerator-hours from a model's shape and a described cluster, with its tables
 * rendered apart from its arithmetic.
 */
package io.crossover.driver.capacity;
